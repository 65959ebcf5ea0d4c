/**
 * A built-in tool's arguments are declared once, as a zod schema: the JSON Schema the model is
 * given in session.update is derived from it, and the model's arguments are parsed with it, so
 * the two cannot drift apart.
 */
import { z } from 'zod';
import type { ToolDeclaration } from '../call/agent-profile.js';

export function declareTool(name: string, description: string, args: z.ZodObject): ToolDeclaration {
  // The input side: what the model may send (defaults make a field optional, coercions accept
  // "8" for 8). `$schema` is noise in a function declaration.
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(args, { io: 'input' });
  return { name, description, parameters };
}

/**
 * The model's arguments as the schema's output, or an Error whose message tells the model what
 * to fix (the call returns it as the tool's output). Issue messages name fields and expectations,
 * never the values sent, which may be what the caller typed.
 */
export function parseToolArguments<T extends z.ZodType>(tool: string, schema: T, args: unknown): z.output<T> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  throw new Error(`${tool}: invalid arguments (${problems.join('; ')})`);
}
