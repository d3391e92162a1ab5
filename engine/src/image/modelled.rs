//! The text of a modelled Python package's `__init__.py`: its version, and an error
//! that names what is missing when its compiled code is used. The catalog's images
//! (PyTorch) and `pip install` of a package without a real wheel both write it.

/// The `__init__.py` of a modelled distribution (one whose compiled code Berth's
/// emulated runtime does not have): importing it works and reports the version; using
/// anything else, or importing a submodule, raises an error that says why. `extra` is
/// Python placed before that guard (names that are true in the sandbox too).
pub fn modelled_module(name: &str, version: &str, extra: &str) -> String {
    format!(
        r#"# modelled by Berth: the {name} {version} distribution. Its files and sizes are
# as pip installs them; its compiled code is not part of Berth's emulated runtime.
__version__ = "{version}"
{extra}

def _berth_modelled(what):
    return NotImplementedError(
        what + " needs the compiled code of {name} {version}, which Berth's emulated "
        "runtime does not include (there is no WebAssembly build of it); run this "
        "container on Docker or another native container runtime to use it")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise _berth_modelled(__name__ + "." + name)


class _BerthModelledSubmodules:
    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname.startswith(__name__ + "."):
            raise _berth_modelled(fullname)
        return None


import sys as _sys

_sys.meta_path.append(_BerthModelledSubmodules)
"#
    )
}
