// The Web Worker that runs WebLLM's engine, so inference never blocks the page.
import { WebWorkerMLCEngineHandler } from "/runtime/web-llm/index.js";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (message) => handler.onmessage(message);
