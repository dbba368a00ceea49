"""What a gRPC call needs to know of its service: methods and message types, from ``.proto`` files or stubs.

``.proto`` files are compiled in-process by grpcio-tools' ``protoc`` into a ``FileDescriptorSet`` (plain
bytes), from which message classes are built in a pool of their own: nothing is generated on disk, two
scenarios with a ``common.proto`` each do not collide in protobuf's default pool, and the bytes are what a
one-liner sends to its workers (a worker, a Ray actor on another node, needs neither the files nor protoc).
Generated ``*_pb2`` modules give the same descriptors. Compiled sets are cached per process.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from loadpulse.errors import BadInput

MISSING_GRPC = "gRPC needs grpcio, grpcio-tools and protobuf: pip install 'loadpulse[grpc]'"

_NOISE = re.compile(r"WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d")
"""Lines of protoc's logging library (absl), which come before and among the compiler's own messages."""

_compiled: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Protos] = {}


@dataclass(frozen=True, slots=True)
class Method:
    """One RPC: its wire path and how its messages are made and read."""

    path: str
    """``/package.Service/Method``, what goes on the wire."""
    request: Any
    """The request message class."""
    response: Any
    server_streaming: bool
    client_streaming: bool

    @property
    def name(self) -> str:
        """``package.Service/Method``: how users name it and how its stats are named by default."""
        return self.path[1:]

    def message(self, data: Any, where: str = "request") -> Any:
        """``data`` (a mapping, a JSON string or a message of the request type) as a request message;
        a field the type lacks or a value of the wrong type is :class:`BadInput` naming it."""
        if isinstance(data, self.request):
            return data
        from google.protobuf import json_format
        from google.protobuf.message import Message

        if isinstance(data, Message):
            # The same type built elsewhere (a *_pb2 module's class for protos compiled from the .proto,
            # or the other way round): the same wire format, so its bytes are the request.
            given = data.DESCRIPTOR.full_name
            if given != self.request.DESCRIPTOR.full_name:
                raise BadInput(f"{where} is a {given} message, not {self.request.DESCRIPTOR.full_name}")
            return self.request.FromString(data.SerializeToString())

        try:
            if isinstance(data, str | bytes):
                return json_format.Parse(data, self.request())
            return json_format.ParseDict(data if data is not None else {}, self.request())
        except json_format.ParseError as exc:
            said = " ".join(str(exc).split())  # protobuf lists the known fields on a second line
            while "Failed to load JSON: Failed to load JSON: " in said:  # protobuf says it twice
                said = said.replace("Failed to load JSON: Failed to load JSON: ", "Failed to load JSON: ")
            said = said.removesuffix(".")
            raise BadInput(f"{where} does not fit {self.request.DESCRIPTOR.full_name}: {said}") from None


def message_json(message: Any) -> dict[str, Any]:
    """A message as a dict: field names as in the .proto, and proto3 fields at their default value (0, "",
    false, []) kept, as the server sent them, so a check or capture of ``seq: 0`` finds it."""
    from google.protobuf import json_format

    return dict(
        json_format.MessageToDict(
            message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    )


class Protos:
    """The services and messages of a set of ``.proto`` files (or generated modules)."""

    def __init__(self, descriptor_set: bytes, origin: str, files: Sequence[Any] = ()) -> None:
        """``files``: file descriptors to use as they are (a generated module's, with its message classes)
        instead of rebuilding ``descriptor_set`` in a pool of its own."""
        self.descriptor_set = descriptor_set
        """A serialized ``FileDescriptorSet``: what rebuilds these protos in another process."""
        self.origin = origin
        """Where they came from, for messages (the .proto files, or the module)."""
        self._pool: Any = None
        """The pool of rebuilt descriptors, kept with them."""
        if not files:
            from google.protobuf import descriptor_pb2, descriptor_pool

            pool = self._pool = descriptor_pool.DescriptorPool()
            protos = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file
            for file in protos:
                pool.Add(file)
            files = [pool.FindFileByName(f.name) for f in protos]
        self._services = {s.full_name: s for f in files for s in f.services_by_name.values()}
        self._methods: dict[str, Method] = {}

    def methods(self) -> list[str]:
        """Every method as ``package.Service/Method``."""
        return [f"{s.full_name}/{m.name}" for s in self._services.values() for m in s.methods]

    def method(self, name: str) -> Method:
        """The method named ``package.Service/Method`` (``Service/Method`` and ``Service.Method`` too, when
        that is unambiguous); :class:`BadInput` listing the known ones otherwise."""
        found = self._methods.get(name)
        if found is not None:
            return found
        wanted = name.strip().lstrip("/").replace("/", ".")
        matches = [m for m in self.methods() if m.replace("/", ".") == wanted]
        if not matches:
            matches = [m for m in self.methods() if m.replace("/", ".").endswith("." + wanted)]
        if len(matches) != 1:
            known = self.methods()
            if not known:
                raise BadInput(f"{self.origin} declares no service")
            if matches:
                raise BadInput(f"gRPC method {name!r} is ambiguous: {', '.join(matches)}")
            import difflib

            close = difflib.get_close_matches(name, known, n=1, cutoff=0.4)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise BadInput(f"unknown gRPC method {name!r} in {self.origin}: {hint}known: {', '.join(known)}")
        found = self._methods[name] = self._build(matches[0])
        return found

    def _build(self, full: str) -> Method:
        from google.protobuf import message_factory

        service, _, method = full.partition("/")
        desc = self._services[service].methods_by_name[method]
        return Method(
            f"/{full}",
            message_factory.GetMessageClass(desc.input_type),
            message_factory.GetMessageClass(desc.output_type),
            desc.server_streaming,
            desc.client_streaming,
        )


def require_grpc() -> None:
    """:class:`BadInput` saying how to install gRPC support when it is missing."""
    try:
        import google.protobuf  # noqa: F401
        import grpc  # noqa: F401
    except ImportError:
        raise BadInput(MISSING_GRPC) from None


def compile_protos(files: Sequence[str], include: Sequence[str] = (), base: str | None = None) -> Protos:
    """``files`` compiled with protoc (imports resolved in ``include``, the files' own folders and the
    well-known types); relative paths are taken from ``base`` (a folder), else the working directory.
    A file that does not compile is :class:`BadInput` with protoc's first message."""
    if not files:
        raise BadInput("give at least one .proto file")
    root = Path(base) if base is not None else Path.cwd()
    dirs = tuple(str((root / d).resolve()) for d in include)
    paths = tuple(_find(f, root, dirs) for f in files)
    key = (str(root), paths, dirs)
    cached = _compiled.get(key)
    if cached is not None:
        return cached
    for given, path in zip(files, paths, strict=True):
        if not Path(path).is_file():
            raise BadInput(f".proto file {given!r} not found" + (f" (in {root})" if base else ""))
    for given, path in zip(include, dirs, strict=True):
        if not Path(path).is_dir():
            raise BadInput(f"include folder {given!r} not found" + (f" (in {root})" if base else ""))
    require_grpc()
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        raise BadInput(MISSING_GRPC) from None
    well_known = str(Path(grpc_tools.__file__).parent / "_proto")
    own = tuple(dict.fromkeys(str(Path(p).parent) for p in paths))
    args = ["protoc", *(f"-I{d}" for d in (*dirs, *own, well_known)), "--include_imports"]
    import tempfile

    with tempfile.TemporaryDirectory(prefix="loadpulse-protoc-") as tmp:
        out = os.path.join(tmp, "set.pb")
        code, errors = _run_protoc(protoc.main, [*args, f"--descriptor_set_out={out}", *paths], tmp)
        if code != 0 or not os.path.exists(out):
            lines = [line.strip() for line in errors.splitlines() if line.strip()]
            said = [line for line in lines if not _NOISE.match(line)] or lines
            # A missing import is said first without the file that imports it: the next line names it.
            imports = [line for line in said if '" was not found or had errors' in line]
            first = imports[0] if imports else said[0] if said else f"protoc exit {code}"
            raise BadInput(f".proto does not compile: {first}")
        data = Path(out).read_bytes()
    protos = _compiled[key] = Protos(data, ", ".join(files))
    return protos


def _find(file: str, root: Path, dirs: tuple[str, ...]) -> str:
    """``file`` from ``root``, else from the first include folder that has it (as protoc would)."""
    for folder in (root, *map(Path, dirs)):
        if (folder / file).is_file():
            return str((folder / file).resolve())
    return str((root / file).resolve())


def _run_protoc(main: Any, args: list[str], tmp: str) -> tuple[int, str]:
    """protoc writes its errors to file descriptor 2 from C++: that descriptor is pointed at a file for the
    call, so the message can be told in one line instead of sprayed over the terminal."""
    err_path = os.path.join(tmp, "stderr")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(err_path, "wb") as err:
            os.dup2(err.fileno(), 2)
            try:
                code = int(main(args))
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
    return code, Path(err_path).read_text(errors="replace")


def protos_of_modules(modules: Iterable[ModuleType]) -> Protos:
    """The protos of generated ``*_pb2`` modules (their files and everything they import), with the
    modules' own message classes: a script's ``echo_pb2.SayRequest(...)`` is a request as it is, and
    replies are the module's classes."""
    from google.protobuf import descriptor_pb2

    files: dict[str, bytes] = {}
    descriptors: list[Any] = []
    names = []

    def add(fd: Any) -> None:
        if fd.name in files:
            return
        for dep in fd.dependencies:
            add(dep)
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        files[fd.name] = proto.SerializeToString()
        descriptors.append(fd)

    for module in modules:
        fd = getattr(module, "DESCRIPTOR", None)
        if fd is None or not hasattr(fd, "services_by_name"):
            raise BadInput(
                f"{getattr(module, '__name__', module)!r} is not a generated *_pb2 module (pass the _pb2 "
                "module, not the _pb2_grpc one)"
            )
        add(fd)
        names.append(module.__name__)
    fds = descriptor_pb2.FileDescriptorSet()
    for data in files.values():
        fds.file.add().MergeFromString(data)
    if not names:
        raise BadInput("no generated *_pb2 module given (an empty list)")
    return Protos(fds.SerializeToString(), ", ".join(names), descriptors)
