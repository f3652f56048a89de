// The identity plane: every managed identity source as its platform exposes it, Entra ID with workload identity
// federation, and an external OIDC identity provider. Reading this factory shows the whole plane: secrets ->
// OIDC provider (its issuer is a placeholder of the world's federated credentials) -> token files -> Entra ->
// one server per managed identity source. Which identities each source exposes: see ./compute.ts.
import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PlaneHandle, SandboxContext } from '../core/context.ts';
import type { SandboxError } from '../core/errors.ts';
import type { Fault } from '../core/faults.ts';
import type { RunningServer } from '../core/server.ts';
import { EntraServer } from './entra.ts';
import { appServiceErrors, entraErrors, imdsErrors, oidcErrors, serviceFabricErrors } from './errors.ts';
import { OidcProvider, oidcHandler, startTokenFiles } from './oidc.ts';
import type { TokenFiles } from './oidc.ts';
import { APP_SERVICE_PATH, appServiceHandler } from './sources/appService.ts';
import { ArcKeyStore, arcHandler } from './sources/arc.ts';
import { AZURE_ML_PATH, azureMlHandler } from './sources/azureMl.ts';
import { CLOUD_SHELL_PATH, cloudShellHandler } from './sources/cloudShell.ts';
import { IMDS_TOKEN_PATH, imdsHandler } from './sources/imds.ts';
import { serviceFabricHandler } from './sources/serviceFabric.ts';
import { RepeatedParameterError } from './sources/common.ts';

/** A per-run secret, never logged (it goes to the connection file and to ctx.issued.secrets only). */
function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Renders a `status` fault with one source's error catalog. */
function faultRenderer(render: (status: number, retryAfterSeconds?: number) => SandboxError) {
  return (fault: Fault, _req: IncomingMessage) => render(fault.status ?? 500, fault.retryAfterSeconds);
}

type Handler = Parameters<SandboxContext['startServer']>[0]['handler'];

/** A handler whose RepeatedParameterError (sources/common.ts q) is answered in the server's own format. */
function refusingRepeats(handler: Handler, repeated: (name: string) => SandboxError): Handler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      if (err instanceof RepeatedParameterError) throw repeated(err.parameter);
      throw err;
    }
  };
}

/**
 * Managed identity sources: plain HTTP where Azure's are (IMDS, App Service, Arc, Cloud Shell, Azure ML), HTTPS for
 * Service Fabric (docs/identity-wire.md §8).
 */
async function startSources(
  ctx: SandboxContext,
  servers: RunningServer[],
  secrets: { identityHeader: string; msiSecret: string; serviceFabricSecret: string; arcKeys: ArcKeyStore },
) {
  const { identityHeader, msiSecret, serviceFabricSecret, arcKeys } = secrets;
  const start = (
    endpoint: 'appService' | 'imds' | 'arc' | 'cloudShell' | 'serviceFabric' | 'azureMl',
    handler: Handler,
    render: (status: number, retryAfterSeconds?: number) => SandboxError,
    tls = false,
    repeated: (name: string) => SandboxError = imdsErrors.repeatedQuery,
  ) =>
    ctx
      .startServer({
        endpoint,
        label: endpoint,
        handler: refusingRepeats(handler, repeated),
        renderFault: faultRenderer(render),
        ...(tls ? { tls: ctx.serverCert } : {}),
      })
      .then((s) => (servers.push(s), s));

  const appService = await start(
    'appService',
    appServiceHandler(ctx, identityHeader),
    appServiceErrors.fault,
    false,
    appServiceErrors.repeatedQuery,
  );
  const imds = await start('imds', imdsHandler(ctx), imdsErrors.fault);
  const arc = await start('arc', arcHandler(ctx, arcKeys), imdsErrors.fault);
  const cloudShell = await start('cloudShell', cloudShellHandler(ctx), imdsErrors.fault);
  const serviceFabric = await start(
    'serviceFabric',
    serviceFabricHandler(ctx, serviceFabricSecret),
    serviceFabricErrors.fault,
    true,
    serviceFabricErrors.repeatedParameter,
  );
  const azureMl = await start('azureMl', azureMlHandler(ctx, msiSecret), imdsErrors.fault);

  return { appService, imds, arc, cloudShell, serviceFabric, azureMl };
}

/** Secrets the platform would hand the compute resource, and the app registrations' client secrets. */
function platformSecrets(ctx: SandboxContext) {
  const identityHeader = newSecret();
  const msiSecret = newSecret();
  const serviceFabricSecret = newSecret();
  const appSecrets: Record<string, string> = {};
  for (const app of ctx.world.appRegistrations) appSecrets[app.clientId] = newSecret(30);
  for (const s of [identityHeader, msiSecret, serviceFabricSecret, ...Object.values(appSecrets)])
    ctx.issued.secrets.add(s);
  return { identityHeader, msiSecret, serviceFabricSecret, appSecrets };
}

export async function startIdentityPlane(ctx: SandboxContext): Promise<PlaneHandle> {
  const servers: RunningServer[] = [];
  let tokenFiles: TokenFiles | undefined;
  const arcKeys = new ArcKeyStore(ctx.log);
  if (!ArcKeyStore.canCreate())
    ctx.log(
      `[arc] cannot create key files in ${arcKeys.dir} (needs root): the Arc source answers its 401 challenge, ` +
        'but clients will fail to read the key file it names',
    );
  const close = async () => {
    tokenFiles?.close();
    arcKeys.close();
    await Promise.all(servers.map((s) => s.close()));
  };

  try {
    const { identityHeader, msiSecret, serviceFabricSecret, appSecrets } = platformSecrets(ctx);

    // External OIDC provider first: the world's federated credentials name its issuer (${OIDC_ISSUER}).
    const oidc = await OidcProvider.create(ctx.options.oidcTokenLifetimeSeconds);
    const oidcServer = await ctx.startServer({
      endpoint: 'oidc',
      label: 'oidc',
      tls: ctx.serverCert,
      handler: refusingRepeats(oidcHandler(ctx, oidc), oidcErrors.repeatedParameter),
      renderFault: faultRenderer(oidcErrors.fault),
    });
    servers.push(oidcServer);
    oidc.issuer = oidcServer.origin;
    ctx.setPlaceholder('OIDC_ISSUER', oidc.issuer);
    tokenFiles = await startTokenFiles(ctx, oidc, oidcServer);
    const files = tokenFiles;
    // A scenario switch may change the workload's subject: rewrite the files at once.
    ctx.onWorldChange(() => files.refresh());

    const entra = new EntraServer(ctx, { appSecrets });
    const entraServer = await ctx.startServer({
      endpoint: 'entra',
      label: 'entra',
      tls: ctx.serverCert,
      handler: refusingRepeats(entra.handler, (name) => entraErrors.duplicatedParameter(name)),
      renderFault: faultRenderer(entraErrors.fault),
    });
    servers.push(entraServer);
    entra.origin = entraServer.origin;
    entra.port = entraServer.port;

    const { appService, imds, arc, cloudShell, serviceFabric, azureMl } = await startSources(ctx, servers, {
      identityHeader,
      msiSecret,
      serviceFabricSecret,
      arcKeys,
    });

    // Service Fabric clients only check that IDENTITY_SERVER_THUMBPRINT is set (§8); give the real one anyway.
    const serviceFabricThumbprint = new X509Certificate(ctx.serverCert.certPem).fingerprint.replace(/:/g, '');

    return {
      endpoints: {
        appService: `${appService.origin}${APP_SERVICE_PATH}`,
        imds: imds.origin,
        arc: `${arc.origin}${IMDS_TOKEN_PATH}`,
        arcImds: arc.origin,
        cloudShell: `${cloudShell.origin}${CLOUD_SHELL_PATH}`,
        serviceFabric: `${serviceFabric.origin}${IMDS_TOKEN_PATH}`,
        azureMl: `${azureMl.origin}${AZURE_ML_PATH.replace('/msi/', '/MSI/')}`,
        entra: entraServer.origin,
        oidcIssuer: oidc.issuer,
      },
      sourceSecrets: { identityHeader, msiSecret, serviceFabricSecret, serviceFabricThumbprint, appSecrets },
      files: { federatedTokenFile: files.federatedTokenFile, aksTokenFile: files.aksTokenFile },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
