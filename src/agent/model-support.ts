/**
 * What a model can do, where the agent layer must know it at load. Function calling (and
 * semantic_vad, idle_timeout_ms, web search) exist only on the qwen3.5 Omni realtime models
 * (reference §2, §5.1); an older model answers `tools` in session.update with an error.
 */
export function modelSupportsTools(model: string): boolean {
  return /^qwen3\.5-omni-/.test(model);
}
