"""Everything an import checks before it writes anything.

In this order, each refusal naming what is wrong: the export key's form; the format and its
version; the schema version against this instance's; that the files are exactly this
instance's tenant tables; every file's SHA-256 (a changed file is named); that the export key
opens key.json for this manifest; that tenant.json is the tenant the manifest names.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kasane.tenants.portability.export import scratch_directory
from kasane.tenants.portability.export_key import (
    ExportKeyInvalid,
    ExportKeyWrong,
    ManifestAltered,
    open_key_file,
    parse_export_key,
)
from kasane.tenants.portability.layout import (
    FORMAT,
    FORMAT_VERSION,
    KEY_FILE,
    MANIFEST,
    TENANT_FILE,
    schema_version,
    sha256_of,
    table_file,
    table_files,
)

ZIP_ENTRY = re.compile(r"^(manifest\.json|tenant\.json|key\.json|tables/[a-z0-9_]+\.jsonl)$")


class ImportRefused(Exception):
    """Nothing was imported; the message says why, naming the file or field at fault."""


@dataclass(frozen=True)
class CheckedExport:
    """An export whose files, key and tenant were checked: ready to be written."""

    directory: Path
    manifest: dict[str, Any]
    tenant: dict[str, Any]  # tenant.json as written (JSON values)
    key_payload: dict[str, Any]  # the tenant_keys row and the data key, opened

    @property
    def tables(self) -> list[dict[str, Any]]:
        return list(self.manifest["tables"])


@contextmanager
def export_directory(path: Path) -> Iterator[Path]:
    """The export at ``path``: the directory itself, or a zip unpacked into a private
    scratch directory (only the entries an export has; anything else is refused)."""
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        raise ImportRefused(f"{path} is neither an export directory nor a zip of one")
    with zipfile.ZipFile(path) as z, scratch_directory() as scratch:
        for name in z.namelist():
            if name.endswith("/"):
                continue
            if not ZIP_ENTRY.match(name):
                raise ImportRefused(f"the zip holds {name!r}, which is not part of an export")
            z.extract(name, scratch)
        yield scratch


def _json_file(directory: Path, name: str) -> Any:
    try:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportRefused(f"{name} is missing") from None
    except (UnicodeError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"{name} is not valid JSON: {exc}") from None


def _check_format(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportRefused(f"{MANIFEST}: not a {FORMAT} (format is missing or different)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(
            f"{MANIFEST}: format_version {manifest.get('format_version')!r} is not supported "
            f"(this instance reads version {FORMAT_VERSION})"
        )
    ours = schema_version()
    if manifest.get("schema_version") != ours:
        raise ImportRefused(
            f"{MANIFEST}: the export has schema version {manifest.get('schema_version')!r}, "
            f"this instance has {ours!r}; import it into an instance at the same version"
        )


def _check_files(directory: Path, manifest: dict[str, Any]) -> None:
    listed = {str(t.get("name")): t for t in manifest.get("tables") or []}
    expected = {t.name for t in table_files()}
    if unknown := sorted(listed.keys() - expected):
        raise ImportRefused(f"{MANIFEST}: table(s) unknown on this instance: {', '.join(unknown)}")
    if missing := sorted(expected - listed.keys()):
        raise ImportRefused(f"{MANIFEST}: no file for table(s) {', '.join(missing)}")
    files = [(TENANT_FILE, manifest["tenant"].get("sha256"))]
    for name, entry in sorted(listed.items()):
        if entry.get("file") != table_file(name):  # never follow a path the export chose
            raise ImportRefused(f"{MANIFEST}: table {name} must be in {table_file(name)}")
        files.append((table_file(name), entry.get("sha256")))
    for name, digest in files:
        path = directory / name
        if not path.is_file():
            raise ImportRefused(f"{name} is missing")
        if sha256_of(path) != digest:
            raise ImportRefused(f"{name} does not match its checksum in {MANIFEST}")


def _check_tenant(tenant: Any, manifest: dict[str, Any]) -> None:
    named = manifest["tenant"]
    if not isinstance(tenant, dict):
        raise ImportRefused(f"{TENANT_FILE} is not a JSON object")
    for field in ("id", "slug", "municipality_code"):
        if tenant.get(field) != named.get(field):
            raise ImportRefused(f"{TENANT_FILE}: {field} differs from the manifest's")


def check_export(directory: Path, export_key: str) -> CheckedExport:
    """Check an unpacked export; refuse with the first problem found.

    Raises:
        ImportRefused: the key is malformed or wrong, the format, schema version, a file or
            the tenant does not check out. Nothing has been written.
    """
    try:
        key = parse_export_key(export_key)
    except ExportKeyInvalid as exc:
        raise ImportRefused(f"export key: {exc}") from None
    manifest = _json_file(directory, MANIFEST)
    _check_format(manifest)
    if not isinstance(manifest.get("tenant"), dict):
        raise ImportRefused(f"{MANIFEST}: the tenant is missing")
    _check_files(directory, manifest)
    try:
        payload = open_key_file(
            key, sha256_of(directory / MANIFEST), _json_file(directory, KEY_FILE)
        )
    except ExportKeyWrong as exc:
        raise ImportRefused(f"{KEY_FILE}: {exc} (is it this export's key?)") from None
    except ManifestAltered as exc:
        raise ImportRefused(f"{MANIFEST}: {exc}") from None
    tenant = _json_file(directory, TENANT_FILE)
    _check_tenant(tenant, manifest)
    return CheckedExport(directory, manifest, tenant, payload)
