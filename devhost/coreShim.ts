// The dev host's stand-in for the worker's built-in `@azure/functions-core` module.
// The Node worker answers `require('@azure/functions-core')` with a plain object through a Proxy on
// Module.prototype.require (worker src/setupCoreModule.ts); @azure/functions looks it up lazily on its first app.*
// call and caches the answer, null meaning "test mode" (src/utils/tryGetCoreApiLazy.ts). So this must be installed
// before the app is loaded (docs/host-notes.md B.1, B.5 step 1).
import Module from 'node:module';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  LogCategory,
  LogLevel,
  ProgrammingModel,
  RegisteredFunction,
} from './types.ts';

const hookNames: readonly HookName[] = ['preInvocation', 'postInvocation', 'appStart', 'appTerminate', 'log'];

export class Disposable {
  #callOnDispose: (() => void) | undefined;
  constructor(callOnDispose: () => void) {
    this.#callOnDispose = callOnDispose;
  }
  static from(...disposables: { dispose(): void }[]): Disposable {
    return new Disposable(() => disposables.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.#callOnDispose?.();
    this.#callOnDispose = undefined;
  }
}

export interface CoreState {
  readonly functions: Map<string, RegisteredFunction>;
  readonly hooks: Record<HookName, HookCallback[]>;
  programmingModel: ProgrammingModel | undefined;
  /** Set once app startup is over; later registrations throw, as in the worker. */
  locked: boolean;
  /** System log sink (the library's workerSystemLog goes here). */
  log: (level: LogLevel, category: LogCategory, message: string) => void;
}

export const HOST_VERSION = '4.0.0-devhost';

let installed: CoreState | undefined;

/** Installs the shim once per process and returns its state. */
export function installCoreShim(): CoreState {
  if (installed) return installed;
  const state: CoreState = {
    functions: new Map(),
    hooks: { preInvocation: [], postInvocation: [], appStart: [], appTerminate: [], log: [] },
    programmingModel: undefined,
    locked: false,
    log: () => {},
  };

  const coreApi = {
    version: '3.0.0-devhost',
    get hostVersion(): string {
      return HOST_VERSION;
    },
    Disposable,
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      // Messages as the worker's coreApi/registerFunction.ts words them.
      if (state.locked) throw new Error('A function can only be registered during app startup.');
      const id = metadata.functionId ?? metadata.name;
      if (state.functions.has(id)) throw new Error(`A function with id "${id}" has already been registered.`);
      state.functions.set(id, { metadata, callback });
      return new Disposable(() => {
        if (state.locked) throw new Error('A function can only be disposed during app startup.');
        state.functions.delete(id);
      });
    },
    setProgrammingModel(pm: ProgrammingModel): void {
      state.programmingModel = pm;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return state.programmingModel;
    },
    registerHook(name: string, callback: HookCallback): Disposable {
      if (!(hookNames as readonly string[]).includes(name)) {
        throw new RangeError(`"${name}" is not a valid hook name. Valid values are ${hookNames.join(', ')}.`);
      }
      const list = state.hooks[name as HookName];
      list.push(callback);
      return new Disposable(() => {
        const i = list.indexOf(callback);
        if (i >= 0) list.splice(i, 1);
      });
    },
    log(level: LogLevel, category: LogCategory, message: string): void {
      state.log(level, category, message);
    },
  };

  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, args);
    },
  });
  installed = state;
  return state;
}
