"""``alphacast exec -- COMMAND``: run a command with the profile's key in its environment.

The ``aws-vault exec`` pattern: an unmodified 0.1.9 script that reads its key from
the environment gets it from the keyring, the encrypted file or Vault, and the key
never appears on a command line. On POSIX the command replaces this process
(``exec``), so its exit status, its signals and its terminal are its own; on
Windows it runs as a child and its exit status is passed on.
"""

from __future__ import annotations

import argparse
import os
import sys

from alphacast.cli._options import add_profile
from alphacast.cli._output import CommandError
from alphacast.cli._profiles import resolve_for_cli
from alphacast.cli._settings import url_settings
from alphacast.secrets import environment_without_secrets

#: Exit statuses a shell uses when a command cannot run.
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126

KEY_VARIABLE = "ALPHACAST_API_KEY"


def child_environment(
    key: str, profile: str, api_url: str, workspace_url: str, env_name: str
) -> dict[str, str]:
    """This process's environment with the key under ``env_name``, the profile and the
    URLs the SDK would use; without the SDK's other secrets (another key, the
    encrypted store's passphrase: :data:`alphacast.secrets.SECRET_VARIABLES`), so
    the command holds this profile's key and nothing that unlocks another's."""
    env = environment_without_secrets()
    env[env_name] = key
    env["ALPHACAST_PROFILE"] = profile
    env["ALPHACAST_API_URL"] = api_url
    env["ALPHACAST_WORKSPACE_URL"] = workspace_url
    return env


def _env_name(text: str) -> str:
    if not text or "=" in text or "\0" in text:
        raise argparse.ArgumentTypeError("expected a variable name such as API_KEY")
    return text


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "exec",
        help="run a command with the profile's key in its environment (ALPHACAST_API_KEY)",
        description=(
            "Run COMMAND with the profile's key in its environment, and ALPHACAST_PROFILE, "
            "ALPHACAST_API_URL and ALPHACAST_WORKSPACE_URL; exit with its status. "
            "Put -- before the command."
        ),
    )
    add_profile(p)
    p.add_argument(
        "--env-name",
        type=_env_name,
        default=KEY_VARIABLE,
        metavar="NAME",
        help="variable to put the key in (default: %(default)s; e.g. API_KEY for 0.1.9 scripts)",
    )
    p.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARGS...]",
        help="the command to run and its arguments",
    )
    p.set_defaults(handler=cmd_exec)


def cmd_exec(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise CommandError("no command to run: alphacast exec [--profile P] -- COMMAND [ARGS...]")
    credential, profile = resolve_for_cli(args.profile)
    api_url, workspace_url = url_settings(profile)
    env = child_environment(
        credential.api_key, profile, api_url.value, workspace_url.value, args.env_name
    )
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if os.name == "posix":
            os.execvpe(command[0], command, env)  # noqa: S606 - the user's own command
        import subprocess

        return subprocess.call(command, env=env)
    except FileNotFoundError:
        return _cannot_run(command[0], "command not found", EXIT_NOT_FOUND)
    except PermissionError:
        return _cannot_run(command[0], "permission denied", EXIT_CANNOT_RUN)
    except OSError as exc:
        return _cannot_run(command[0], exc.strerror or type(exc).__name__, EXIT_CANNOT_RUN)


def _cannot_run(name: str, reason: str, status: int) -> int:
    from alphacast._argparse import mask_user_words

    print(f"alphacast: error: {mask_user_words(f'cannot run {name}: {reason}')}", file=sys.stderr)
    return status
