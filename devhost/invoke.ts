// One invocation, in the order of the worker's src/eventHandlers/InvocationHandler.ts: getInvocationModel ->
// getArguments -> preInvocation hooks (may replace inputs or the callback) -> invokeFunction (error captured) ->
// postInvocation hooks (may replace result or error) -> rethrow or getResponse. The library's own programming model
// does the request building, camelCasing, InvocationContext and response conversion, exactly as in Azure.
import { randomUUID } from 'node:crypto';
import type { CoreState } from './coreShim.ts';
import { functionLog } from './logger.ts';
import type {
  CoreInvocationContext,
  HookName,
  InvocationResponse,
  LogCategory,
  LogLevel,
  RegisteredFunction,
  RpcTypedData,
} from './types.ts';

export const appHookData: Record<string, unknown> = {};

export async function runHooks(
  state: CoreState,
  name: HookName,
  context: Record<string, unknown>,
): Promise<void> {
  // Hooks run in registration order and are awaited; a throwing hook stops the step (worker executeHooks.ts).
  for (const cb of [...state.hooks[name]]) await cb(context);
}

function readOnly(obj: Record<string, unknown>, key: string, get: () => unknown): void {
  Object.defineProperty(obj, key, {
    enumerable: true,
    get,
    set() {
      throw new Error(`Cannot assign to read only property '${key}'`);
    },
  });
}

export function hookContext(
  base: Record<string, unknown>,
  hookData: Record<string, unknown>,
): Record<string, unknown> {
  const ctx = { ...base };
  readOnly(ctx, 'hookData', () => hookData);
  readOnly(ctx, 'appHookData', () => appHookData);
  return ctx;
}

/** Runs the app's `log` hooks the way the worker does (WorkerContext.log): user logs may be rewritten by them. */
function emitLog(
  state: CoreState,
  functionName: string,
  level: LogLevel,
  category: LogCategory,
  message: string,
  invocationContext: unknown,
): void {
  let lvl = level;
  let msg = message;
  if (state.hooks.log.length > 0) {
    const ctx: Record<string, unknown> = { hookData: {}, level, category, message, invocationContext };
    try {
      for (const cb of state.hooks.log) cb(ctx);
      if (category === 'user') {
        lvl = ctx.level as LogLevel;
        msg = String(ctx.message);
      }
    } catch {
      // As in the worker: a throwing log hook must not stop the log line.
    }
  }
  functionLog(functionName, lvl, msg, category === 'system');
}

export async function invokeFunction(
  state: CoreState,
  fn: RegisteredFunction,
  trigger: { bindingName: string; data: RpcTypedData },
): Promise<InvocationResponse> {
  const pm = state.programmingModel;
  if (!pm) throw new Error('No programming model was registered by the app');
  const name = fn.metadata.name;
  const invocationId = randomUUID();
  // Set once getArguments has built it; log hooks receive it (worker WorkerContext.log).
  const current: { invocationContext?: unknown } = {};
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.functionId ?? name,
      inputData: [{ name: trigger.bindingName, data: trigger.data }],
      triggerMetadata: {},
    },
    metadata: {
      ...fn.metadata,
      functionId: fn.metadata.functionId ?? name,
      language: 'node',
      isProxy: false,
      managedDependencyEnabled: false,
      rawBindings: Object.entries(fn.metadata.bindings).map(([n, b]) => JSON.stringify({ ...b, name: n })),
    },
    log(level: LogLevel, category: LogCategory, message: string) {
      emitLog(state, name, level, category, message, current.invocationContext);
    },
  };
  coreCtx.log('debug', 'system', `Executing '${name}' (id ${invocationId})`);

  const model = await pm.getInvocationModel(coreCtx);
  const args = await model.getArguments();
  const context = args.context;
  current.invocationContext = context;
  const hookData: Record<string, unknown> = {};

  const pre = hookContext({ inputs: args.inputs, functionCallback: fn.callback }, hookData);
  readOnly(pre, 'invocationContext', () => context);
  coreCtx.state = 'preInvocationHooks';
  try {
    await runHooks(state, 'preInvocation', pre);
  } finally {
    coreCtx.state = undefined;
  }
  const inputs = pre.inputs as unknown[];
  const callback = pre.functionCallback as RegisteredFunction['callback'];

  const post = hookContext({ inputs, result: null, error: null }, hookData);
  readOnly(post, 'invocationContext', () => context);
  coreCtx.state = 'invocation';
  try {
    post.result = await model.invokeFunction(context, inputs, callback);
  } catch (err) {
    post.error = err;
  } finally {
    coreCtx.state = undefined;
  }
  coreCtx.state = 'postInvocationHooks';
  try {
    await runHooks(state, 'postInvocation', post);
  } finally {
    coreCtx.state = undefined;
  }
  if (post.error) throw post.error;
  return model.getResponse(context, post.result);
}
