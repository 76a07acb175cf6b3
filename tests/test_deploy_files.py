"""The Dockerfile, compose.yaml and the systemd unit, checked without Docker or systemd running.

They are read as their tools read them (Dockerfile instructions, YAML, an INI-style unit), held
to what the README promises (a non-root user, a /data volume, a health check on /healthz, the
LibreTranslate profile, a hardened unit), and every setting they name must be one the bot reads,
so a renamed setting cannot leave them quietly out of date. The image's health check command
itself is run against a loopback server answering 200, then 503.
"""

from __future__ import annotations

import configparser
import fnmatch
import http.server
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"
UNIT = ROOT / "deploy" / "arxiv-digest-bot.service"
README = ROOT / "README.md"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Variables of the image's own plumbing (Python, pip, the venv), not settings of the bot.
IMAGE_VARIABLES = frozenset(
    {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_NO_CACHE_DIR"}
    | {"PIP_DISABLE_PIP_VERSION_CHECK"}
)


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword (upper case) and the rest of its line(s)."""

    keyword: str
    arguments: str


def dockerfile_instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile: comments dropped, `\\` continuations joined."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction is skipped, as Docker does
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """The build stages, each from its FROM on (global ARGs before the first FROM left out)."""
    found: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The instructions of the last stage: what the image that runs is built from."""
    return stages(instructions)[-1]


def env_assignments(arguments: str) -> dict[str, str]:
    """An `ENV a=1 b="two"` instruction's variables (the `key=value` form only)."""
    pairs = dict(word.split("=", 1) for word in shlex.split(arguments))
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) for key in pairs), arguments
    return pairs


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form CMD (or of HEALTHCHECK's CMD after its options)."""
    start = arguments.index("[")
    value = json.loads(arguments[start:])
    assert isinstance(value, list) and all(isinstance(word, str) for word in value), arguments
    return value


def instructions_named(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    return [instruction for instruction in instructions if instruction.keyword == keyword]


def image_environment() -> dict[str, str]:
    """The variables the running image has (its final stage's ENV instructions)."""
    environment: dict[str, str] = {}
    for instruction in instructions_named(final_stage(DOCKERFILE_INSTRUCTIONS), "ENV"):
        environment.update(env_assignments(instruction.arguments))
    return environment


DOCKERFILE_INSTRUCTIONS = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))


def test_dockerfile_reader_joins_continuations_and_skips_comments() -> None:
    text = '# top\nFROM x AS y\nENV A=1 \\\n    # inside\n    B="two words"\nCMD ["python"]\n'
    assert dockerfile_instructions(text) == [
        Instruction("FROM", "x AS y"),
        Instruction("ENV", 'A=1 B="two words"'),
        Instruction("CMD", '["python"]'),
    ]
    assert env_assignments('A=1 B="two words"') == {"A": "1", "B": "two words"}


def test_image_python_is_one_pyproject_accepts() -> None:
    args = {
        name: default
        for instruction in DOCKERFILE_INSTRUCTIONS
        if instruction.keyword == "ARG"
        for name, _, default in [instruction.arguments.partition("=")]
    }
    bases = [i.arguments.split()[0] for i in instructions_named(DOCKERFILE_INSTRUCTIONS, "FROM")]
    assert bases and all(base.startswith("python:${PYTHON_VERSION}-slim") for base in bases)
    assert args["PYTHON_VERSION"] in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_image_runs_the_bot_as_a_user_that_is_not_root() -> None:
    stage = final_stage(DOCKERFILE_INSTRUCTIONS)
    users = instructions_named(stage, "USER")
    assert users, "the final stage never switches away from root"
    user = users[-1].arguments.split(":")[0]
    assert user not in {"root", "0"}
    keywords = [instruction.keyword for instruction in stage]
    assert keywords.index("USER") < keywords.index("CMD")
    assert exec_form(instructions_named(stage, "CMD")[-1].arguments) == ["python", "-m", "bot"]


def test_the_database_lives_in_the_data_volume() -> None:
    volumes = [
        path
        for instruction in instructions_named(final_stage(DOCKERFILE_INSTRUCTIONS), "VOLUME")
        for path in (
            exec_form(instruction.arguments)
            if instruction.arguments.startswith("[")
            else instruction.arguments.split()
        )
    ]
    assert "/data" in volumes
    assert PurePosixPath(image_environment()["DATABASE_PATH"]).parent == PurePosixPath("/data")


def test_health_check_asks_healthz_on_the_exposed_metrics_port() -> None:
    stage = final_stage(DOCKERFILE_INSTRUCTIONS)
    (check,) = instructions_named(stage, "HEALTHCHECK")
    command = exec_form(check.arguments)
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2] and "METRICS_PORT" in command[2]
    exposed = {
        port.split("/")[0]
        for i in instructions_named(stage, "EXPOSE")
        for port in i.arguments.split()
    }
    assert image_environment()["METRICS_PORT"] in exposed


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    # A change to the code must reuse the layer that downloaded the dependencies.
    (build, _) = stages(DOCKERFILE_INSTRUCTIONS)
    position = {
        "pyproject": next(
            n
            for n, i in enumerate(build)
            if i.keyword == "COPY" and "pyproject.toml" in i.arguments
        ),
        "deps": next(
            n
            for n, i in enumerate(build)
            if i.keyword == "RUN" and "-r requirements.txt" in i.arguments
        ),
        "code": next(
            n for n, i in enumerate(build) if i.keyword == "COPY" and i.arguments.startswith("bot/")
        ),
    }
    assert position["pyproject"] < position["deps"] < position["code"]


def test_requirements_step_lists_the_runtime_dependencies_only() -> None:
    # The image is built elsewhere: run the step's own one-liner on this pyproject.toml.
    (step,) = [
        i
        for i in DOCKERFILE_INSTRUCTIONS
        if i.keyword == "RUN" and "requirements.txt" in i.arguments and "tomllib" in i.arguments
    ]
    words = shlex.split(step.arguments)
    code = words[words.index("-c") + 1]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Exactly [project] dependencies: the dev extras (pytest, ruff, ...) stay out of the image.
    assert result.stdout.splitlines() == PYPROJECT["project"]["dependencies"]


def test_image_copies_every_package_pyproject_installs() -> None:
    copied = {
        source.rstrip("/")
        for instruction in instructions_named(DOCKERFILE_INSTRUCTIONS, "COPY")
        if not instruction.arguments.startswith("--from")
        for source in instruction.arguments.split()[:-1]
    }
    packages = {
        pattern.rstrip("*")
        for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= copied
    # setuptools reads the long description from the readme pyproject names.
    assert PYPROJECT["project"]["readme"] in copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not dockerignored(source), f"{source} is copied but .dockerignore leaves it out"


def _segments_match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_segments_match(pattern[1:], path[skip:]) for skip in range(len(path) + 1))
    return (
        bool(path)
        and fnmatch.fnmatchcase(path[0], pattern[0])
        and _segments_match(pattern[1:], path[1:])
    )


def dockerignored(path: str) -> bool:
    """Whether Docker leaves `path` out of the build context, as .dockerignore is read: the
    last matching line wins, `!` re-includes, a matched folder takes its contents with it."""
    segments = PurePosixPath(path).parts
    excluded = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip("/").split("/")
        if any(
            _segments_match(pattern, list(segments[:end])) for end in range(1, len(segments) + 1)
        ):
            excluded = not negated
    return excluded


def test_dockerignore_reader_follows_dockers_rules() -> None:
    assert dockerignored(".venv/bin/python")
    assert dockerignored("bot/__pycache__/app.cpython-311.pyc")
    assert not dockerignored("bot/app.py")
    assert dockerignored(".env") and not dockerignored(".env.example")


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        ".env",
        ".env.production",
        "data/bot.sqlite3",
        "bot.sqlite3",
        "elsewhere/bot.sqlite3",
        "bot.sqlite3-wal",
        "data/bot.sqlite3.lock",
        "tests/fixtures/rss-current-stat.xml",
        "bench/__main__.py",
        ".mypy_cache/3.11/x.json",
        "storage/__pycache__/database.cpython-311.pyc",
    ],
)
def test_build_context_leaves_out_secrets_data_and_tests(path: str) -> None:
    assert dockerignored(path)


# --- compose.yaml -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_the_bot_by_default_with_its_data_in_a_volume(compose: dict) -> None:
    bot = compose["services"]["bot"]
    assert "profiles" not in bot, "the bot must start with a plain `docker compose up`"
    assert bot["build"] == "."
    assert bot["env_file"] in (".env", [".env"])
    assert bot["restart"] == "unless-stopped"
    mounts = dict(volume.split(":", 1) for volume in bot["volumes"])
    data_volume = next(name for name, target in mounts.items() if target == "/data")
    assert data_volume in compose["volumes"]
    # Its environment keeps the image's database place (a `.env` written for `make run` says
    # data/bot.sqlite3, which the unprivileged user could not write in /app).
    assert bot["environment"]["DATABASE_PATH"] == image_environment()["DATABASE_PATH"]


def test_compose_offers_libretranslate_under_its_profile(compose: dict) -> None:
    services = compose["services"]
    libre = services["libretranslate"]
    assert libre["profiles"] == ["libretranslate"]
    assert libre["image"].startswith("libretranslate/libretranslate")
    # The URL the file tells people to put in .env names this service and LibreTranslate's port.
    (url,) = re.findall(r"LIBRETRANSLATE_URL=(\S+)", COMPOSE.read_text(encoding="utf-8"))
    assert re.fullmatch(r"http://libretranslate:5000/", url)
    assert "libre" in re.findall(r"TRANSLATOR=(\S+)", COMPOSE.read_text(encoding="utf-8"))


# --- the systemd unit ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    # systemd repeats keys (Environment=); strict=False keeps the last, as for single values.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def unit_environment() -> dict[str, str]:
    """The unit's `Environment=NAME=value` lines (configparser keeps only the last one)."""
    found = re.findall(r"^Environment=(\w+)=(.*)$", UNIT.read_text(encoding="utf-8"), re.M)
    return dict(found)


def test_unit_runs_python_m_bot_from_a_venv_as_its_own_user(
    unit: configparser.ConfigParser,
) -> None:
    assert set(unit.sections()) >= {"Unit", "Service", "Install"}
    service = unit["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[1:] == ["-m", "bot"]
    executable = PurePosixPath(command[0])
    assert executable.is_absolute() and executable.parent.parent.name == ".venv"
    assert PurePosixPath(service["WorkingDirectory"]) == executable.parent.parent.parent
    assert service["User"] not in {"root", "0"}
    assert PurePosixPath(service["EnvironmentFile"].lstrip("-")).is_absolute()
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_unit_is_hardened_and_may_write_only_the_database_folder(
    unit: configparser.ConfigParser,
) -> None:
    service = unit["Service"]
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    database = PurePosixPath(unit_environment()["DATABASE_PATH"])
    # The lock file and the backups before a migration sit beside the database.
    assert service["ReadWritePaths"].split() == [str(database.parent)]
    assert service["PrivateTmp"] == "true"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_every_line_of_the_unit(tmp_path: Path) -> None:
    # systemd-analyze verify warns about unknown keys and bad values; the ExecStart executable
    # must exist, so the copy points at this Python instead of the unit's venv.
    text = UNIT.read_text(encoding="utf-8")
    copy = tmp_path / UNIT.name
    copy.write_text(
        re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", text, flags=re.M), encoding="utf-8"
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


# --- settings named by the files ----------------------------------------------------------


def settings_read_by_the_bot() -> set[str]:
    """Every variable name bot/config.py reads (each appears there as a quoted literal)."""
    source = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    return set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source))


def operating_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Operating it\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def settings_named_by_the_files(compose: dict) -> dict[str, set[str]]:
    """Per file, the bot settings it sets or tells people to set."""
    compose_text = COMPOSE.read_text(encoding="utf-8")
    return {
        "Dockerfile": set(image_environment()) - IMAGE_VARIABLES,
        "compose.yaml": set(compose["services"]["bot"].get("environment", {}))
        | set(re.findall(r"#.*?\b([A-Z][A-Z0-9_]+)=", compose_text)),
        UNIT.name: set(unit_environment()) - IMAGE_VARIABLES,
        "README (Operating it)": set(
            re.findall(r"`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`", operating_section())
        ),
    }


def test_every_setting_the_files_name_is_one_the_bot_reads(compose: dict) -> None:
    known = settings_read_by_the_bot()
    named = settings_named_by_the_files(compose)
    assert named["Dockerfile"] >= {"DATABASE_PATH", "METRICS_PORT"}
    assert "LIBRETRANSLATE_URL" in named["compose.yaml"]
    unknown = {file: sorted(names - known) for file, names in named.items() if names - known}
    assert not unknown, f"settings bot/config.py does not read: {unknown}"


# --- the health check, run ----------------------------------------------------------------


class _HealthServer(http.server.ThreadingHTTPServer):
    status = 200
    paths: list[str]


class _HealthHandler(http.server.BaseHTTPRequestHandler):
    server: _HealthServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        status = self.server.status if self.path == "/healthz" else 404
        body = b"ok\n" if status == 200 else b"updates stalled\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[_HealthServer]:
    server = _HealthServer(("127.0.0.1", 0), _HealthHandler)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_health_check(port: int) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, with this Python for the image's and METRICS_PORT set."""
    (check,) = instructions_named(final_stage(DOCKERFILE_INSTRUCTIONS), "HEALTHCHECK")
    command = exec_form(check.arguments)
    return subprocess.run(
        [sys.executable, *command[1:]],
        env={"METRICS_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_health_check_passes_on_200_from_healthz(health_server: _HealthServer) -> None:
    result = run_health_check(health_server.server_address[1])
    assert result.returncode == 0, result.stderr
    assert health_server.paths == ["/healthz"]


def test_health_check_fails_on_503(health_server: _HealthServer) -> None:
    health_server.status = 503
    result = run_health_check(health_server.server_address[1])
    # Docker reads 1 as unhealthy (2 is reserved).
    assert result.returncode == 1
    assert "503" in result.stderr
    assert health_server.paths == ["/healthz"]


def test_health_check_fails_when_nothing_listens() -> None:
    # A socket bound but not listening: connections to its port are refused.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        result = run_health_check(bound.getsockname()[1])
    assert result.returncode == 1
    assert "refused" in result.stderr.lower()
