# Source this file to point the real Azure CLI in your shell at the running sandbox (.sandbox/connection.json):
#   source scripts/sandbox-az.sh
# It sets AZURE_CONFIG_DIR (.cache/azcli/sandbox-config, never ~/.azure), REQUESTS_CA_BUNDLE (the sandbox CA),
# AZURE_CORE_INSTANCE_DISCOVERY=false and PATH (the project's az first), registers the sandbox cloud from its
# /metadata/endpoints and logs in as the world's operator. Open a new shell (or unset those) to leave it.
__idp_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
if __idp_env="$("$__idp_root/node_modules/.bin/node" "$__idp_root/scripts/azcli.ts" env)"; then
  eval "$__idp_env"
  echo "az now talks to the sandbox as its operator (AZURE_CONFIG_DIR=$AZURE_CONFIG_DIR)"
fi
unset __idp_root __idp_env
