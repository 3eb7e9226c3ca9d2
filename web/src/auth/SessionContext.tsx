import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { SessionManager, SessionState } from './session.ts';

const SessionContext = createContext<SessionManager | undefined>(undefined);

export function SessionProvider({ manager, children }: { manager: SessionManager; children: ReactNode }) {
  return <SessionContext.Provider value={manager}>{children}</SessionContext.Provider>;
}

export function useSessionManager(): SessionManager {
  const manager = useContext(SessionContext);
  if (!manager) throw new Error('useSessionManager outside SessionProvider');
  return manager;
}

export function useSession(): SessionState {
  const manager = useSessionManager();
  return useSyncExternalStore(
    (listener) => manager.subscribe(listener),
    () => manager.current,
  );
}

export function isAdmin(state: SessionState): boolean {
  return state.status === 'signed-in' && (state.session.user.roles ?? []).includes('ADMIN');
}
