"""Berth: fits the one CPython build to the image it runs in.

The engine runs every `python` with one interpreter build (see Berth's README). It
passes the version the image promises and the image's site-packages directories in
BERTH_PYTHON; this module, imported by `site` at start-up, makes `sys.version`,
`sys.version_info` and `sys.path` say what the image says, then removes the variable.
It also makes name lookups fail as they do without a network.
"""
import os
import sys


def _berth_fit():
    spec = os.environ.pop("BERTH_PYTHON", None)
    if not spec:
        return
    version, home_set, sites = (spec.split(";") + ["", "", ""])[:3]
    if home_set == "1":
        os.environ.pop("PYTHONHOME", None)
    try:
        major, minor, micro = (int(p) for p in (version.split(".") + ["0", "0"])[:3])
    except ValueError:
        return

    class version_info(tuple):
        __slots__ = ()
        major = property(lambda self: self[0])
        minor = property(lambda self: self[1])
        micro = property(lambda self: self[2])
        releaselevel = property(lambda self: self[3])
        serial = property(lambda self: self[4])

        def __repr__(self):
            return "sys.version_info(major=%d, minor=%d, micro=%d, releaselevel=%r, serial=%d)" % self

    sys.version_info = version_info((major, minor, micro, "final", 0))
    sys.version = version + " " + sys.version.split(" ", 1)[1]
    sys.hexversion = (major << 24) | (minor << 16) | (micro << 8) | 0xF0
    # Bytecode caches carry the image's tag (`__pycache__/x.cpython-38.pyc`).
    sys.implementation.cache_tag = "cpython-%d%d" % (major, minor)
    import site
    for d in sites.split(":"):
        if d and os.path.isdir(d):
            site.addsitedir(d)


def _berth_no_network():
    # A container here has no network: name lookups fail as they do in one started
    # with `--network none` (WASI has no resolver to fail on its own).
    try:
        import _socket
    except ImportError:
        return

    def _fail(*args, **kwargs):
        raise _socket.gaierror(-3, "Temporary failure in name resolution")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        if not hasattr(_socket, name):
            setattr(_socket, name, _fail)


_berth_fit()
_berth_no_network()
del _berth_fit, _berth_no_network
