/*
 * The only operations the session endpoint runs. They are part of the web app's persisted-query manifest
 * (web/persisted-queries.json), so a router in safelist mode runs them too: keep each body byte for byte.
 */

export interface SessionOperation {
  name: string;
  /** The mutation field whose SessionPayload the route reads. */
  field: 'signUp' | 'logIn' | 'refreshSession' | 'logOut';
  query: string;
}

const PAYLOAD = '{ accessToken refreshToken expiresAt user { id name email roles } errors { path code message } }';

export const SESSION_OPERATIONS = {
  signUp: { name: 'SessionSignUp', field: 'signUp', query: `mutation SessionSignUp($input: SignUpInput!) { signUp(input: $input) ${PAYLOAD} }` },
  logIn: { name: 'SessionLogIn', field: 'logIn', query: `mutation SessionLogIn($input: LogInInput!) { logIn(input: $input) ${PAYLOAD} }` },
  refreshSession: {
    name: 'SessionRefresh',
    field: 'refreshSession',
    query: `mutation SessionRefresh($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) ${PAYLOAD} }`,
  },
  logOut: { name: 'SessionLogOut', field: 'logOut', query: 'mutation SessionLogOut($refreshToken: String!) { logOut(refreshToken: $refreshToken) { errors { path code message } } }' },
} as const satisfies Record<string, SessionOperation>;
