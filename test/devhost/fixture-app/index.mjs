// A small app for the dev host's own tests: every kind of route, auth level, hook and timer the host must handle.
// Registered through the real @azure/functions library, exactly as the identity-probes app is.
import { setTimeout as sleep } from 'node:timers/promises';
import { app } from '@azure/functions';

let preInvocations = 0;

app.hook.appStart(() => {
  console.log('HOOK appStart');
});
app.hook.appTerminate(async () => {
  await sleep(50);
  console.log('HOOK appTerminate');
});
app.hook.preInvocation(() => {
  preInvocations++;
});

app.http('hello', {
  route: 'hello/{name?}',
  methods: ['GET', 'POST'],
  authLevel: 'function',
  handler: async (req, context) => {
    context.log(`hello called with ${req.method}`);
    const body = req.method === 'POST' ? await req.text() : null;
    return {
      status: req.method === 'POST' ? 201 : 200,
      headers: { 'x-demo': '1' },
      cookies: [{ name: 'session', value: 'abc', httpOnly: true, path: '/' }],
      jsonBody: {
        name: req.params.name ?? null,
        params: req.params,
        x: req.query.get('x'),
        method: req.method,
        url: req.url,
        echo: req.headers.get('x-echo'),
        body,
        fromSettings: process.env.FIXTURE_FROM_SETTINGS ?? null,
        envWins: process.env.FIXTURE_ENV_WINS ?? null,
        preInvocations,
        functionName: context.functionName,
      },
    };
  },
});

const which = (label) => async (req) => ({ jsonBody: { which: label, params: req.params } });
app.http('itemsCatchAll', { route: 'items/{*rest}', methods: ['GET'], handler: which('catchall') });
app.http('itemsParam', { route: 'items/{id}', methods: ['GET'], handler: which('param') });
app.http('itemsInt', { route: 'items/{id:int}', methods: ['GET'], handler: which('int') });
app.http('itemsLiteral', { route: 'items/special', methods: ['GET'], handler: which('literal') });
app.http('postOnly', { route: 'items/special', methods: ['POST'], handler: which('post-literal') });
app.http('publicPing', { route: 'public/ping', methods: ['GET'], handler: async () => ({ body: 'pong' }) });
app.http('adminOnly', { route: 'secret', methods: ['GET'], authLevel: 'admin', handler: which('admin') });
app.http('boom', {
  methods: ['GET'],
  handler: async () => {
    throw new Error('kaboom');
  },
});
app.http('noReturn', { methods: ['GET'], handler: async () => undefined });
app.http('leak', {
  methods: ['GET'],
  handler: async (_req, context) => {
    context.log(
      'calling with Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ and https://acct.blob.core.windows.net/c/b?sv=2024&sig=SECRETSIGVALUE123',
    );
    console.log('console says x-functions-key: CONSOLEKEY1234567');
    return { body: 'ok' };
  },
});

app.timer('tick', {
  schedule: '%TICK_SCHEDULE%',
  runOnStartup: true,
  handler: async (timer, context) => {
    context.log(`TIMER tick ${JSON.stringify(timer)}`);
  },
});
app.timer('fast', {
  schedule: '*/1 * * * * *',
  handler: async (timer, context) => {
    context.log(`TIMER fast ${JSON.stringify(timer)}`);
  },
});
