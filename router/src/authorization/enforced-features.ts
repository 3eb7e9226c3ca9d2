import { Kind, parse, print, visit, type ConstDirectiveNode } from 'graphql';

/*
 * A supergraph links some specs `for: SECURITY`, which tells a gateway "refuse to serve this unless you
 * implement it". @apollo/gateway implements none of them and so refuses every supergraph that uses them. This
 * router enforces @authenticated, @requiresScopes and @policy (withAuthorization) and fills in @fromContext
 * arguments (execution/context-arguments.ts), so before the gateway sees a supergraph we drop the
 * `for: SECURITY` of exactly those links; any other such feature keeps its purpose, and the gateway still
 * refuses it (fail closed).
 */

const ENFORCED = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy|context)\/v\d+\.\d+$/;

function isEnforcedSecurityLink(directive: ConstDirectiveNode): boolean {
  if (directive.name.value !== 'link' && directive.name.value !== 'core') return false;
  const url = directive.arguments?.find((argument) => argument.name.value === 'url' || argument.name.value === 'feature')?.value;
  const purpose = directive.arguments?.find((argument) => argument.name.value === 'for')?.value;
  return url?.kind === Kind.STRING && ENFORCED.test(url.value) && purpose?.kind === Kind.ENUM && purpose.value === 'SECURITY';
}

/** The supergraph as the gateway should load it behind this router (unchanged when it links none of those specs). */
export function withRouterEnforcedSecurity(supergraphSdl: string): string {
  if (!/for:\s*SECURITY/.test(supergraphSdl)) return supergraphSdl;
  let document;
  try {
    document = parse(supergraphSdl);
  } catch {
    return supergraphSdl; // not GraphQL: let the gateway's own validation report it
  }
  let changed = false;
  const rewritten = visit(document, {
    Directive(node) {
      if (!isEnforcedSecurityLink(node as ConstDirectiveNode)) return undefined;
      changed = true;
      return { ...node, arguments: node.arguments?.filter((argument) => argument.name.value !== 'for') };
    },
  });
  return changed ? print(rewritten) : supergraphSdl;
}
