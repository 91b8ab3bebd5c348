"""An Alphacast credential provider that reads keys from a secrets directory."""

from alphacast_secrets_dir.provider import DEFAULT_DIRECTORY, DIRECTORY_VARIABLE, SecretsDirProvider

__all__ = ["DEFAULT_DIRECTORY", "DIRECTORY_VARIABLE", "SecretsDirProvider"]
