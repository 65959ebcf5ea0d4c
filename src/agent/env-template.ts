/**
 * `${NAME}` in agent files: webhook URLs and header values come from the environment, so secrets
 * never sit in config files. `${NAME}` must be set (an unset variable is a load error naming it);
 * `${NAME:-fallback}` uses the fallback when it is unset or empty, for values that are not secret
 * (a local service URL). Values are substituted once, at load, and never logged.
 */

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Expansion = { ok: true; value: string } | { ok: false; missing: string[] };

export function expandEnv(template: string, env: NodeJS.ProcessEnv): Expansion {
  const missing: string[] = [];
  const value = template.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
  return missing.length > 0 ? { ok: false, missing } : { ok: true, value };
}
