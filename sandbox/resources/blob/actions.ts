// Blob REST operation -> the RBAC permission Azure checks for it, pure (docs/data-plane.md §3.7: container
// operations are control-plane *actions*, blob operations and blob listing are *dataActions*; the scope is the
// container, or the account for service-level calls). The operation is recognised from method, path depth and the
// `restype` / `comp` query parameters, as the Blob service does.

const P = 'Microsoft.Storage/storageAccounts/blobServices';

export interface BlobOperation {
  /** REST operation name, for logs and tests. */
  name: string;
  permission: string;
  kind: 'action' | 'dataAction';
  level: 'account' | 'container';
}

const op = (
  name: string,
  permission: string,
  kind: BlobOperation['kind'],
  level: BlobOperation['level'],
): BlobOperation => ({
  name,
  permission,
  kind,
  level,
});

interface Req {
  m: string;
  read: boolean;
  restype?: string;
  comp?: string;
}

/** Undefined when the request is not a Blob operation the gateway knows (it is refused, never forwarded blind). */
export function blobOperation(
  method: string,
  container: string | undefined,
  blob: string | undefined,
  query: URLSearchParams,
): BlobOperation | undefined {
  const m = method.toUpperCase();
  const r: Req = {
    m,
    read: m === 'GET' || m === 'HEAD',
    restype: query.get('restype')?.toLowerCase(),
    comp: query.get('comp')?.toLowerCase(),
  };
  if (!container) return accountOperation(r);
  if (!blob) return containerOperation(r);
  return blobItemOperation(r);
}

function accountOperation({ m, read, restype, comp }: Req): BlobOperation | undefined {
  if (restype === 'service' && comp === 'userdelegationkey' && m === 'POST')
    return op('GetUserDelegationKey', `${P}/generateUserDelegationKey/action`, 'action', 'account');
  if (restype === 'service' && (comp === 'properties' || comp === 'stats'))
    return read
      ? op('GetBlobServiceProperties', `${P}/read`, 'action', 'account')
      : m === 'PUT'
        ? op('SetBlobServiceProperties', `${P}/write`, 'action', 'account')
        : undefined;
  if (restype === 'account' && comp === 'properties' && read)
    return op('GetAccountInformation', `${P}/containers/blobs/read`, 'dataAction', 'account');
  if (comp === 'list' && read) return op('ListContainers', `${P}/containers/read`, 'action', 'account');
  if (comp === 'blobs' && read)
    return op('FindBlobsByTags', `${P}/containers/blobs/filter/action`, 'dataAction', 'account');
  return undefined;
}

function containerOperation({ m, read, restype, comp }: Req): BlobOperation | undefined {
  if (restype === 'account' && comp === 'properties' && read)
    return op('GetAccountInformation', `${P}/containers/blobs/read`, 'dataAction', 'container');
  if (restype !== 'container') return undefined;
  switch (comp) {
    case undefined:
      if (m === 'PUT') return op('CreateContainer', `${P}/containers/write`, 'action', 'container');
      if (read) return op('GetContainerProperties', `${P}/containers/read`, 'action', 'container');
      if (m === 'DELETE') return op('DeleteContainer', `${P}/containers/delete`, 'action', 'container');
      return undefined;
    case 'metadata':
    case 'acl':
      if (read)
        return op(
          `GetContainer${comp === 'acl' ? 'ACL' : 'Metadata'}`,
          `${P}/containers/read`,
          'action',
          'container',
        );
      if (m === 'PUT')
        return op(
          `SetContainer${comp === 'acl' ? 'ACL' : 'Metadata'}`,
          `${P}/containers/write`,
          'action',
          'container',
        );
      return undefined;
    case 'lease':
    case 'undelete':
    case 'rename':
      return m === 'PUT'
        ? op(`Container_${comp}`, `${P}/containers/write`, 'action', 'container')
        : undefined;
    case 'list':
      return read ? op('ListBlobs', `${P}/containers/blobs/read`, 'dataAction', 'container') : undefined;
    case 'blobs':
      return read
        ? op('FindBlobsByTags', `${P}/containers/blobs/filter/action`, 'dataAction', 'container')
        : undefined;
    default:
      return undefined;
  }
}

function blobItemOperation({ m, read, comp }: Req): BlobOperation | undefined {
  if (comp === 'tags')
    return read
      ? op('GetBlobTags', `${P}/containers/blobs/tags/read`, 'dataAction', 'container')
      : m === 'PUT'
        ? op('SetBlobTags', `${P}/containers/blobs/tags/write`, 'dataAction', 'container')
        : undefined;
  if (read) return op('GetBlob', `${P}/containers/blobs/read`, 'dataAction', 'container');
  if (m === 'DELETE') return op('DeleteBlob', `${P}/containers/blobs/delete`, 'dataAction', 'container');
  if (m === 'PUT') {
    if (comp === 'appendblock')
      return op('AppendBlock', `${P}/containers/blobs/add/action`, 'dataAction', 'container');
    // Put Blob, Put Block, Put Block List, Copy, properties, metadata, lease, snapshot, tier, pages, undelete.
    return op(`PutBlob${comp ? `_${comp}` : ''}`, `${P}/containers/blobs/write`, 'dataAction', 'container');
  }
  return undefined;
}
