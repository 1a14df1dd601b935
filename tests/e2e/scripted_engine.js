// Scripted stand-in for the @mlc-ai/web-llm module, routed in place of the real one by the
// browser tests (the product code never knows). It implements the engine surface the app uses:
// CreateWebWorkerMLCEngine / CreateMLCEngine, reload with progress callbacks, streaming
// chat.completions.create with a final usage chunk, interruptGenerate, resetChat, unload, and
// WebLLM's named errors. The model list and cache helpers come from the real module, imported
// from the same URL with a query string so the route does not catch it; where that cannot load
// (a page opened offline from the service worker's cache) the app's own presets stand in.
//
// A test steers it with `globalThis.__scriptedEngine = {...}` (page.add_init_script) and reads
// what happened from `globalThis.__scriptedEngineLog`.
const real = await import("/runtime/web-llm/index.js?real").catch(() => null);

export const prebuiltAppConfig = real ? real.prebuiltAppConfig : { model_list: [] };
export const deleteModelAllInfoInCache = async (...args) => real?.deleteModelAllInfoInCache(...args);
export const deleteModelInCache = async (...args) => real?.deleteModelInCache(...args);

const DEFAULTS = {
  reply: "Hello! I am a scripted engine. This reply streams one token at a time.",
  tokens: null,            // explicit token list; otherwise `reply` split on word boundaries
  tokenDelayMs: 5,         // 0 = as fast as possible (yields to the event loop only)
  loadSteps: 5,
  loadStepMs: 10,
  loadError: null,         // "fetch" | "oom" | "device-lost" | "quota" | "webgpu"
  generateError: null,     // same names, thrown on the next create()
  cachedModels: null,      // model ids hasModelInCache() reports as downloaded
  prefillTokensPerS: 250.0,
  decodeTokensPerS: 40.0,
};

const log = (globalThis.__scriptedEngineLog = globalThis.__scriptedEngineLog || {
  loads: [], requests: [], interrupts: 0, resets: 0, unloads: 0,
});

function config() {
  return { ...DEFAULTS, ...(globalThis.__scriptedEngine || {}) };
}

function namedError(kind) {
  const table = {
    fetch: ["TypeError", "Failed to fetch"],
    oom: ["DeviceLostError", "The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM)."],
    "device-lost": ["DeviceLostError", "The WebGPU device was lost."],
    quota: ["QuotaExceededError", "The quota has been exceeded."],
    webgpu: ["WebGPUNotAvailableError", "WebGPU is not supported in your current environment"],
    context: ["ContextWindowSizeExceededError", "Prompt tokens exceed context window size"],
  };
  const [name, message] = table[kind] || ["Error", String(kind)];
  const error = name === "TypeError" ? new TypeError(message) : new Error(message);
  error.name = name;
  return error;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => queueMicrotask(resolve));

function tokenize(cfg) {
  if (cfg.tokens) return cfg.tokens;
  return cfg.reply.match(/\S+\s*|\s+/g) || [];
}

class ScriptedEngine {
  constructor(engineConfig = {}) {
    this.initProgressCallback = engineConfig.initProgressCallback;
    this.appConfig = engineConfig.appConfig || prebuiltAppConfig;
    this.modelId = null;
    this.interrupted = false;
    this.chat = { completions: { create: (request) => this.create(request) } };
  }

  setInitProgressCallback(callback) {
    this.initProgressCallback = callback;
  }

  getInitProgressCallback() {
    return this.initProgressCallback;
  }

  async reload(modelId, chatOpts) {
    const cfg = config();
    log.loads.push({ modelId, chatOpts: chatOpts || null });
    const started = performance.now();
    for (let step = 1; step <= cfg.loadSteps; step += 1) {
      await sleep(cfg.loadStepMs);
      if (cfg.loadError && step === Math.ceil(cfg.loadSteps / 2)) throw namedError(cfg.loadError);
      const progress = step / cfg.loadSteps;
      this.initProgressCallback?.({
        progress,
        timeElapsed: (performance.now() - started) / 1000,
        text: `Fetching param cache[${step}/${cfg.loadSteps}]: ${Math.round(progress * 100)}% completed`,
      });
    }
    // As WebLLM does: each phase reports 0..1 on its own; "Finish loading" ends the load.
    this.initProgressCallback?.({
      progress: 1,
      timeElapsed: (performance.now() - started) / 1000,
      text: "Finish loading on WebGPU - scripted",
    });
    this.modelId = modelId;
  }

  async unload() {
    log.unloads += 1;
    this.modelId = null;
  }

  async resetChat() {
    log.resets += 1;
  }

  interruptGenerate() {
    log.interrupts += 1;
    this.interrupted = true;
  }

  async runtimeStatsText() {
    const cfg = config();
    return `prefill: ${cfg.prefillTokensPerS} tokens/sec, decoding: ${cfg.decodeTokensPerS} tokens/sec`;
  }

  async create(request) {
    const cfg = config();
    log.requests.push(JSON.parse(JSON.stringify(request)));
    if (!this.modelId) throw new Error("Model not loaded before calling chat.completions.create()");
    if (cfg.generateError) throw namedError(cfg.generateError);
    this.interrupted = false;
    const tokens = tokenize(cfg);
    const promptTokens = JSON.stringify(request.messages || []).length >> 2;
    if (!request.stream) {
      return {
        id: "scripted-0", object: "chat.completion", model: this.modelId,
        choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: tokens.join("") } }],
        usage: this.usage(promptTokens, tokens.length, cfg),
      };
    }
    return this.stream(tokens, promptTokens, cfg, Boolean(request.stream_options?.include_usage));
  }

  usage(promptTokens, completionTokens, cfg) {
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      extra: {
        prefill_tokens_per_s: cfg.prefillTokensPerS,
        decode_tokens_per_s: cfg.decodeTokensPerS,
        time_to_first_token_s: promptTokens / cfg.prefillTokensPerS,
        time_per_output_token_s: 1 / cfg.decodeTokensPerS,
        e2e_latency_s: promptTokens / cfg.prefillTokensPerS + completionTokens / cfg.decodeTokensPerS,
      },
    };
  }

  async *stream(tokens, promptTokens, cfg, includeUsage) {
    let sent = 0;
    let finish = "stop";
    for (const token of tokens) {
      if (cfg.tokenDelayMs > 0) await sleep(cfg.tokenDelayMs);
      else await tick();
      if (this.interrupted) {
        finish = "abort";
        break;
      }
      sent += 1;
      yield {
        id: "scripted-0", object: "chat.completion.chunk", model: this.modelId,
        choices: [{ index: 0, delta: { role: "assistant", content: token }, finish_reason: null }],
      };
    }
    yield {
      id: "scripted-0", object: "chat.completion.chunk", model: this.modelId,
      choices: [{ index: 0, delta: {}, finish_reason: finish }],
    };
    if (includeUsage) {
      yield {
        id: "scripted-0", object: "chat.completion.chunk", model: this.modelId,
        choices: [], usage: this.usage(promptTokens, sent, cfg),
      };
    }
  }
}

export class MLCEngine extends ScriptedEngine {}

export class WebWorkerMLCEngine extends ScriptedEngine {
  constructor(worker, engineConfig) {
    super(engineConfig);
    this.worker = worker;
  }
}

export async function CreateMLCEngine(modelId, engineConfig, chatOpts) {
  const engine = new MLCEngine(engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}

export async function CreateWebWorkerMLCEngine(worker, modelId, engineConfig, chatOpts) {
  const engine = new WebWorkerMLCEngine(worker, engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}

// Which models count as downloaded: `cachedModels: [...]` in the settings, else the real cache.
export async function hasModelInCache(modelId, appConfig) {
  const cached = config().cachedModels;
  if (cached) return cached.includes(modelId);
  return real ? real.hasModelInCache(modelId, appConfig) : false;
}

// The worker entry imports this too when the route reaches workers; the scripted engine runs on
// the page, so the handler has nothing to do.
export class WebWorkerMLCEngineHandler {
  onmessage() {}
}

export const __scripted = true;
