"""Checks that a repaired macOS wheel needs nothing outside itself.

Usage: python check_macos_wheel.py FILE
FILE is a wheel, a program archive (.tar.gz) or a static library (.a, whose
object files are read one by one as `libgmp.a(add_n.o)`).
Prints JSON: {"platformTags": [...], "bundled": [...], "violations": [...],
"dependencies": {file: [install names]}, "minos": {file: version},
"archs": {file: [arch]}, "signed": {file: bool}, "objects": [file]} (archs as
Apple names them: arm64, x86_64; signed: has LC_CODE_SIGNATURE; objects: the
files that are object files, which are never signed).
Every LC_LOAD_DYLIB of every Mach-O file must resolve inside the wheel
(@loader_path, @rpath through the file's LC_RPATHs) or be a system library
(/usr/lib, /System). Reads Mach-O with macholib (delocate's dependency), so it
runs on Linux too.
"""
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile

from macholib.mach_o import CPU_TYPE_NAMES, LC_BUILD_VERSION, LC_CODE_SIGNATURE, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_RPATH, LC_VERSION_MIN_MACOSX, MH_OBJECT
from macholib.MachO import MachO

LOADS = (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB)
SYSTEM = ("/usr/lib/", "/System/")
# macholib's CPU type names that differ from Apple's arch names (lipo, -arch).
APPLE_ARCHS = {"ARM64": "arm64", "PowerPC": "ppc", "PowerPC64": "ppc64"}


def version(packed):
    return f"{packed >> 16}.{(packed >> 8) & 0xFF}"


def read(path):
    """Install names, rpaths, minimum macOS, archs, signature and whether an object file, of a Mach-O file, or None."""
    try:
        macho = MachO(path)
    except Exception:
        return None
    loads, rpaths, minos, archs, signed, objects = [], [], None, [], True, True
    for header in macho.headers:
        name = CPU_TYPE_NAMES.get(header.header.cputype, str(header.header.cputype))
        archs.append(APPLE_ARCHS.get(name, name))
        objects = objects and header.header.filetype == MH_OBJECT
        signed = signed and any(command.cmd == LC_CODE_SIGNATURE for command, _, _ in header.commands)
        for command, data, payload in header.commands:
            if command.cmd in LOADS:
                loads.append(payload.rstrip(b"\0").decode())
            elif command.cmd == LC_RPATH:
                rpaths.append(payload.rstrip(b"\0").decode())
            elif command.cmd == LC_BUILD_VERSION:
                minos = version(data.minos)
            elif command.cmd == LC_VERSION_MIN_MACOSX:
                minos = version(data.version)
    return sorted(set(loads)), sorted(set(rpaths)), minos, sorted(set(archs)), signed, objects


def resolve(name, origin, rpaths):
    if name.startswith("@loader_path/") or name.startswith("@executable_path/"):
        return [os.path.normpath(os.path.join(origin, name.split("/", 1)[1]))]
    if name.startswith("@rpath/"):
        bases = [r.replace("@loader_path", origin).replace("@executable_path", origin) for r in rpaths]
        return [os.path.normpath(os.path.join(base, name[len("@rpath/"):])) for base in bases]
    return [name]


def ar_members(path, root):
    """The members of a static library (GNU or BSD ar), written under root as `name(member)`."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"!<arch>\n"):
        return []
    names, offset, strtab = [], 8, b""
    base = os.path.basename(path)
    while offset + 60 <= len(data):
        header = data[offset : offset + 60]
        name, size = header[:16].decode().strip(), int(header[48:58].decode().strip())
        body = data[offset + 60 : offset + 60 + size]
        offset += 60 + size + (size & 1)
        if name.startswith("#1/"):  # BSD: the name follows the header
            length = int(name[3:])
            name, body = body[:length].rstrip(b"\0").decode(), body[length:]
        elif name == "//":  # GNU: the long names
            strtab = body
            continue
        elif name.startswith("/") and name[1:].isdigit():
            start = int(name[1:])
            name = strtab[start : strtab.index(b"\n", start)].decode()
        if name in ("/", "__.SYMDEF", "__.SYMDEF SORTED", "__.SYMDEF_64", "__.SYMDEF_64 SORTED") or name.startswith("__.SYMDEF"):
            continue
        member = f"{base}({name.rstrip('/')})"
        with open(os.path.join(root, member), "wb") as out:
            out.write(body)
        names.append(member)
    return names


def unpack(path, root):
    """The file's contents under root, their names, and the wheel's platform tags (a wheel's only)."""
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(root)
            names = archive.namelist()
            wheel_file = next(n for n in names if n.endswith(".dist-info/WHEEL"))
            tags = [l.split(":", 1)[1].strip() for l in archive.read(wheel_file).decode().splitlines() if l.startswith("Tag:")]
        return names, sorted({t.split("-")[2] for t in tags})
    if path.endswith(".a"):
        return ar_members(path, root), []
    if not tarfile.is_tarfile(path):  # a single Mach-O file
        shutil.copy(path, os.path.join(root, os.path.basename(path)))
        return [os.path.basename(path)], []
    with tarfile.open(path) as archive:
        archive.extractall(root, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(root)
        return [m.name for m in archive.getmembers() if m.isfile()], []


def main(file):
    with tempfile.TemporaryDirectory() as root:
        names, platform_tags = unpack(file, root)
        report = {"platformTags": platform_tags, "bundled": [], "violations": [], "dependencies": {}, "minos": {}, "archs": {}, "signed": {}, "objects": []}
        for name in names:
            path = os.path.join(root, name)
            if name.endswith("/") or not os.path.isfile(path):
                continue
            info = read(path)
            if info is None:
                continue
            loads, rpaths, minos, archs, signed, objects = info
            report["dependencies"][name] = loads
            report["minos"][name] = minos
            report["archs"][name] = archs
            report["signed"][name] = signed
            if objects:
                report["objects"].append(name)
            if name.endswith(".dylib"):
                report["bundled"].append(os.path.basename(name))
            for load in loads:
                if load.startswith(SYSTEM):
                    continue
                candidates = resolve(load, os.path.dirname(path), rpaths)
                inside = any(os.path.exists(c) and os.path.realpath(c).startswith(os.path.realpath(root)) for c in candidates)
                if not inside:
                    report["violations"].append({"file": name, "needed": load})
        report["bundled"].sort()
        print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
