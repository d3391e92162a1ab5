//! Layers that install software on a base: build tools, CPython, conda, PyTorch, CUDA,
//! nginx, Redis, Node.js. Paths, version strings and metadata files follow the official
//! images; program and library bytes are modelled.

use super::distro::dpkg_status_with;
use super::Builder;

/// buildpack-deps: compilers, headers, version control, curl and wget.
pub(super) fn buildpack(b: &mut Builder, release: &str) {
    let gcc = match release {
        "bookworm" => "12",
        "bullseye" => "10",
        _ => "8",
    };
    let extra: Vec<(String, String)> = [
        ("autoconf", "2.71-3"), ("automake", "1:1.16.5-1.3"), ("bzip2", "1.0.8-5+b1"), ("curl", "7.88.1-10+deb12u7"), ("dpkg-dev", "1.21.22"),
        ("file", "1:5.44-3"), ("g++", "4:12.2.0-3"), ("gcc", "4:12.2.0-3"), ("git", "1:2.39.5-0+deb12u1"), ("gnupg", "2.2.40-1.1"),
        ("libbz2-dev", "1.0.8-5+b1"), ("libc6-dev", "2.36-9+deb12u8"), ("libffi-dev", "3.4.4-1"), ("libgdbm-dev", "1.23-3"), ("liblzma-dev", "5.4.1-0.2"),
        ("libncurses-dev", "6.4-4"), ("libreadline-dev", "8.2-1.3"), ("libsqlite3-dev", "3.40.1-2+deb12u1"), ("libssl-dev", "3.0.14-1~deb12u2"),
        ("libtool", "2.4.7-7~deb12u1"), ("make", "4.3-4.1"), ("mercurial", "6.3.2-1"), ("openssh-client", "1:9.2p1-2+deb12u3"), ("patch", "2.7.6-7"),
        ("procps", "2:4.0.2-3"), ("subversion", "1.14.2-4+b2"), ("unzip", "6.0-28"), ("wget", "1.21.3-1+b2"), ("xz-utils", "5.4.1-0.2"), ("zlib1g-dev", "1:1.2.13.dfsg-1"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let refs: Vec<(&str, &str)> = extra.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    b.text("/var/lib/dpkg/status", &dpkg_status_with(release, &refs));
    for (name, size) in [("git", 3_900_000), ("curl", 280_000), ("wget", 520_000), ("make", 250_000), ("patch", 180_000), ("file", 27_000), ("unzip", 180_000), ("xz", 80_000), ("bzip2", 40_000), ("ssh", 1_000_000), ("svn", 300_000), ("hg", 1_000), ("gpg", 1_100_000)] {
        b.exec(&format!("/usr/bin/{name}"), size, name);
    }
    for tool in ["gcc", "g++", "cpp", "gcc-ar", "gcc-nm"] {
        b.exec(&format!("/usr/bin/x86_64-linux-gnu-{tool}-{gcc}"), 1_300_000, tool);
        b.link(&format!("/usr/bin/{tool}-{gcc}"), &format!("x86_64-linux-gnu-{tool}-{gcc}"));
        b.link(&format!("/usr/bin/{tool}"), &format!("{tool}-{gcc}"));
    }
    b.link("/usr/bin/cc", "/etc/alternatives/cc");
    b.link("/etc/alternatives/cc", "/usr/bin/gcc");
    b.blob(&format!("/usr/libexec/gcc/x86_64-linux-gnu/{gcc}/cc1"), 34_000_000);
    b.blob(&format!("/usr/libexec/gcc/x86_64-linux-gnu/{gcc}/cc1plus"), 37_000_000);
    b.text("/usr/include/stdio.h", "/* Define ISO C stdio on top of C++ iostreams. (modelled header) */\n");
    b.fill(&format!("/usr/libexec/gcc/x86_64-linux-gnu/{gcc}/cc1plus"), 2);
    b.fill("/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1", 3);
    b.fill("/usr/lib/x86_64-linux-gnu/libicudata.so.72.1", 2);
    b.fill("/usr/lib/git-core/git-remote-http", 1);
    b.fill("/usr/share/perl/5.36/unicore/Name.pm", 1);
    b.fill("/usr/lib/x86_64-linux-gnu/libgtk-3.so.0", 2);
    b.fill("/usr/include/x86_64-linux-gnu/openssl/opensslconf.h", 1);
    b.fill("/usr/share/doc/git/RelNotes/2.39.5.txt", 1);
}

/// CPython built from source into `/usr/local`, as the official `python` images do.
pub(super) fn python(b: &mut Builder, version: &str, musl: bool) {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("3");
    let minor = parts.next().unwrap_or("12");
    let xy = format!("{major}.{minor}");
    let minor_n: u32 = minor.parse().unwrap_or(12);
    b.exec(&format!("/usr/local/bin/python{xy}"), 16_000, "python");
    b.link("/usr/local/bin/python3", &format!("python{xy}"));
    b.link("/usr/local/bin/python", "python3");
    b.link("/usr/local/bin/python3-config", &format!("python{xy}-config"));
    b.file(&format!("/usr/local/bin/python{xy}-config"), &format!("#!/bin/sh\n# modelled python{xy}-config\necho \"-I/usr/local/include/python{xy}\"\n"), 0o755);
    b.link("/usr/local/bin/pydoc", &format!("pydoc{xy}"));
    b.file(&format!("/usr/local/bin/pydoc{xy}"), &format!("#!/usr/local/bin/python{xy}\n\nimport pydoc\nif __name__ == '__main__':\n    pydoc.cli()\n"), 0o755);
    b.link("/usr/local/bin/idle", &format!("idle{xy}"));
    b.file(&format!("/usr/local/bin/idle{xy}"), &format!("#!/usr/local/bin/python{xy}\n\nfrom idlelib.pyshell import main\nif __name__ == '__main__':\n    main()\n"), 0o755);
    let pip_version = if minor_n >= 12 { "24.2" } else { "24.0" };
    for name in ["pip", "pip3", &format!("pip{xy}")] {
        b.file(
            &format!("/usr/local/bin/{name}"),
            &format!("#!/usr/local/bin/python{xy}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom pip._internal.cli.main import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n"),
            0o755,
        );
    }
    let lib = format!("/usr/local/lib/python{xy}");
    let so = if musl { "x86_64-linux-musl" } else { "x86_64-linux-gnu" };
    b.blob(&format!("/usr/local/lib/libpython{xy}.so.1.0"), 24_000_000);
    b.link(&format!("/usr/local/lib/libpython{xy}.so"), &format!("libpython{xy}.so.1.0"));
    b.link(&format!("/usr/local/lib/libpython{major}.so"), &format!("libpython{xy}.so"));
    for module in ["os", "re", "json/__init__", "pathlib", "subprocess", "typing", "collections/__init__", "argparse", "logging/__init__", "random", "datetime", "csv", "shutil", "tempfile", "unittest/__init__", "venv/__init__", "ensurepip/__init__", "site", "sysconfig", "encodings/__init__"] {
        b.blob(&format!("{lib}/{module}.py"), 30_000);
    }
    for ext in ["_ssl", "_sqlite3", "_ctypes", "_json", "_decimal", "math", "zlib", "_hashlib", "_bz2", "_lzma"] {
        b.blob(&format!("{lib}/lib-dynload/{ext}.cpython-{major}{minor}-{so}.so"), 200_000);
    }
    b.text(&format!("{lib}/site-packages/README.txt"), "This directory exists so that 3rd party packages can be installed\nhere.  Read the source for site.py for more details.\n");
    let mut dist = vec![("pip", pip_version)];
    if minor_n < 12 {
        dist.push(("setuptools", "65.5.1"));
        dist.push(("wheel", "0.44.0"));
    }
    for (name, v) in dist {
        let info = format!("{lib}/site-packages/{name}-{v}.dist-info");
        b.text(&format!("{info}/METADATA"), &format!("Metadata-Version: 2.1\nName: {name}\nVersion: {v}\nSummary: {name}, installed with CPython {version}\n"));
        b.text(&format!("{info}/INSTALLER"), "pip\n");
        b.text(&format!("{info}/RECORD"), &format!("{name}/__init__.py,,\n"));
        b.text(&format!("{lib}/site-packages/{name}/__init__.py"), &format!("__version__ = \"{v}\"\n"));
    }
    b.text(&format!("/usr/local/include/python{xy}/patchlevel.h"), &format!("#define PY_VERSION \"{version}\"\n"));
    b.fill(&format!("/usr/local/lib/libpython{xy}.so.1.0"), 3);
    b.fill(&format!("{lib}/test/test_descr.py"), 4);
    b.fill(&format!("{lib}/config-{xy}-{so}/libpython{xy}.a"), 4);
    b.fill(&format!("{lib}/site-packages/pip/_vendor/rich/_emoji_codes.py"), 1);
    b.fill("/usr/lib/x86_64-linux-gnu/libtk8.6.so", 1);
}

/// Packages installed with apt-get, as named in the kind.
pub(super) fn apt(b: &mut Builder, packages: &str) {
    for name in packages.split_whitespace() {
        b.text(&format!("/usr/share/doc/{name}/copyright"), &format!("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: {name}\n"));
        let program = match name {
            "git" | "wget" | "bzip2" | "subversion" => Some(name),
            "openssh-client" => Some("ssh"),
            "mercurial" => Some("hg"),
            "procps" => Some("ps"),
            _ => None,
        };
        if let Some(p) = program {
            b.exec(&format!("/usr/bin/{p}"), 300_000, p);
        }
        b.fill(&format!("/usr/lib/x86_64-linux-gnu/lib{}.so", name.trim_end_matches(char::is_numeric)), 1);
    }
}

/// Miniconda in `prefix` with its Python.
pub(super) fn conda(b: &mut Builder, conda_version: &str, python_version: &str, prefix: &str) {
    let prefix = if prefix.is_empty() { "/opt/conda" } else { prefix };
    let xy = python_version.split('.').take(2).collect::<Vec<_>>().join(".");
    b.exec(&format!("{prefix}/bin/python{xy}"), 17_000_000, "python");
    b.link(&format!("{prefix}/bin/python3"), &format!("python{xy}"));
    b.link(&format!("{prefix}/bin/python"), &format!("python{xy}"));
    b.exec(&format!("{prefix}/bin/conda"), 0, "conda");
    b.file(&format!("{prefix}/condabin/conda"), &format!("#!{prefix}/bin/python\n# -*- coding: utf-8 -*-\nimport sys\nfrom conda.cli import main\nsys.exit(main())\n"), 0o755);
    b.file(&format!("{prefix}/bin/pip"), &format!("#!{prefix}/bin/python\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"), 0o755);
    b.text(&format!("{prefix}/etc/profile.d/conda.sh"), &format!("export CONDA_EXE='{prefix}/bin/conda'\nexport _CE_M=''\nexport CONDA_PYTHON_EXE='{prefix}/bin/python'\n"));
    b.text(&format!("{prefix}/conda-meta/history"), &format!("==> 2024-09-01 00:00:00 <==\n# cmd: constructor\n+defaults::conda-{conda_version}-py{}_0\n+defaults::python-{python_version}-h5148396_0\n", xy.replace('.', "")));
    b.text(&format!("{prefix}/conda-meta/conda-{conda_version}-py{}_0.json", xy.replace('.', "")), &format!("{{\"name\": \"conda\", \"version\": \"{conda_version}\", \"channel\": \"https://repo.anaconda.com/pkgs/main\"}}\n"));
    b.text(&format!("{prefix}/conda-meta/python-{python_version}-h5148396_0.json"), &format!("{{\"name\": \"python\", \"version\": \"{python_version}\", \"channel\": \"https://repo.anaconda.com/pkgs/main\"}}\n"));
    b.text(&format!("{prefix}/.condarc"), "channels:\n  - defaults\n");
    b.dir(&format!("{prefix}/pkgs"), 0o755);
    b.dir(&format!("{prefix}/envs"), 0o755);
    b.blob(&format!("{prefix}/lib/libpython{xy}.so.1.0"), 20_000_000);
    b.text(&format!("{prefix}/lib/python{xy}/site-packages/conda/__init__.py"), &format!("__version__ = \"{conda_version}\"\n"));
    b.fill(&format!("{prefix}/lib/libpython{xy}.so.1.0"), 1);
    b.fill(&format!("{prefix}/lib/libmkl_core.so.2"), 3);
    b.fill(&format!("{prefix}/lib/python{xy}/site-packages/conda/core/solve.py"), 1);
    b.fill(&format!("{prefix}/lib/libcrypto.so.3"), 1);
    b.fill(&format!("{prefix}/share/terminfo/x/xterm-256color"), 1);
}

/// PyTorch and torchvision in a conda prefix.
pub(super) fn pytorch(b: &mut Builder, version: &str, flavour: &str, prefix: &str, python_xy: &str) {
    let site = format!("{prefix}/lib/python{python_xy}/site-packages");
    let cuda = flavour == "cuda";
    b.text(&format!("{site}/torch/version.py"), &format!("__version__ = '{version}'\ndebug = False\ncuda = {}\ngit_version = 'modelled'\n", if cuda { "'11.1'" } else { "None" }));
    // No GPU reaches the emulated runtime: `torch.cuda` says so, as it does on a host
    // without one.
    let cuda_api = "\n\nclass cuda:\n    @staticmethod\n    def is_available():\n        return False\n\n    @staticmethod\n    def device_count():\n        return 0\n";
    b.text(&format!("{site}/torch/__init__.py"), &crate::image::modelled::modelled_module("torch", version, cuda_api));
    b.text(&format!("{site}/torchvision/version.py"), "__version__ = '0.9.1'\n");
    b.text(&format!("{site}/torchvision/__init__.py"), &crate::image::modelled::modelled_module("torchvision", "0.9.1", ""));
    b.blob(&format!("{site}/torch/lib/libtorch_cpu.so"), 400_000_000);
    if cuda {
        b.blob(&format!("{site}/torch/lib/libtorch_cuda.so"), 900_000_000);
        b.fill(&format!("{prefix}/lib/libcudnn_cnn_infer.so.8"), 3);
        b.fill(&format!("{prefix}/lib/libcublasLt.so.11"), 2);
    }
    b.fill(&format!("{site}/torch/lib/libtorch_cpu.so"), 2);
    b.fill(&format!("{prefix}/lib/libmkl_avx512.so.1"), 2);
    b.fill(&format!("{prefix}/pkgs/.conda_trash"), 0);
}

/// The CUDA runtime of the `nvidia/cuda` base images.
pub(super) fn cuda(b: &mut Builder, version: &str) {
    let xy = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let major = version.split('.').next().unwrap_or("12");
    let root = format!("/usr/local/cuda-{xy}");
    b.link("/usr/local/cuda", "/etc/alternatives/cuda");
    b.link("/etc/alternatives/cuda", &root);
    b.link(&format!("/usr/local/cuda-{major}"), &format!("/etc/alternatives/cuda-{major}"));
    b.link(&format!("/etc/alternatives/cuda-{major}"), &root);
    b.blob(&format!("{root}/targets/x86_64-linux/lib/libcudart.so.{version}"), 700_000);
    b.link(&format!("{root}/targets/x86_64-linux/lib/libcudart.so.{major}"), &format!("libcudart.so.{version}"));
    b.text(&format!("{root}/version.json"), &format!("{{\n   \"cuda\" : {{\n      \"name\" : \"CUDA SDK\",\n      \"version\" : \"{version}\"\n   }}\n}}\n"));
    b.text("/etc/ld.so.conf.d/000_cuda.conf", "/usr/local/cuda/targets/x86_64-linux/lib\n");
    b.text("/etc/ld.so.conf.d/nvidia.conf", "/usr/local/nvidia/lib\n/usr/local/nvidia/lib64\n");
    b.fill(&format!("{root}/compat/libcuda.so.1"), 4);
    b.fill(&format!("{root}/compat/libnvidia-ptxjitcompiler.so.1"), 3);
    b.fill(&format!("{root}/targets/x86_64-linux/lib/libcublasLt.so.{major}"), if xy == "11.1" { 6 } else { 0 });
    b.fill("/usr/share/doc/cuda-compat/copyright", 1);
}

pub(super) fn nginx(b: &mut Builder, version: &str) {
    b.exec("/usr/sbin/nginx", 1_400_000, "nginx");
    b.text("/etc/nginx/nginx.conf", "user  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\npid        /var/run/nginx.pid;\n\nevents {\n    worker_connections  1024;\n}\n\nhttp {\n    include       /etc/nginx/mime.types;\n    default_type  application/octet-stream;\n    sendfile        on;\n    keepalive_timeout  65;\n    include /etc/nginx/conf.d/*.conf;\n}\n");
    b.text("/etc/nginx/conf.d/default.conf", "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n}\n");
    b.text("/etc/nginx/mime.types", "types {\n    text/html html htm shtml;\n    text/css css;\n    application/javascript js;\n    image/png png;\n}\n");
    b.text("/usr/share/nginx/html/index.html", "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n</body>\n</html>\n");
    b.file("/docker-entrypoint.sh", &format!("#!/bin/sh\n# vim:sw=4:ts=4:et\n# nginx {version} entrypoint (modelled)\nset -e\nexec \"$@\"\n"), 0o755);
    b.dir("/docker-entrypoint.d", 0o755);
    b.link("/var/log/nginx/access.log", "/dev/stdout");
    b.link("/var/log/nginx/error.log", "/dev/stderr");
    b.dir("/var/cache/nginx", 0o755);
    b.fill("/usr/lib/nginx/modules/ngx_http_geoip_module.so", 1);
    b.fill("/usr/lib/x86_64-linux-gnu/libperl.so.5.36.0", 2);
    b.fill("/usr/share/perl/5.36.0/unicore/Name.pm", 2);
    b.fill("/usr/lib/x86_64-linux-gnu/libgd.so.3.0.11", 1);
}

pub(super) fn redis(b: &mut Builder, version: &str) {
    b.exec("/usr/local/bin/redis-server", 14_000_000, "redis-server");
    b.link("/usr/local/bin/redis-sentinel", "redis-server");
    b.link("/usr/local/bin/redis-check-aof", "redis-server");
    b.link("/usr/local/bin/redis-check-rdb", "redis-server");
    b.exec("/usr/local/bin/redis-cli", 7_000_000, "redis-cli");
    b.exec("/usr/local/bin/redis-benchmark", 7_000_000, "redis-benchmark");
    b.file("/usr/local/bin/docker-entrypoint.sh", &format!("#!/bin/sh\nset -e\n# redis {version} entrypoint (modelled)\nexec \"$@\"\n"), 0o755);
    b.dir("/data", 0o755);
    b.fill("/usr/local/bin/redis-server", 1);
}

pub(super) fn node(b: &mut Builder, version: &str) {
    b.exec("/usr/local/bin/node", 96_000_000, "node");
    b.link("/usr/local/bin/nodejs", "node");
    b.link("/usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js");
    b.link("/usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js");
    b.file("/usr/local/lib/node_modules/npm/bin/npm-cli.js", "#!/usr/bin/env node\nrequire('../lib/cli.js')(process)\n", 0o755);
    b.file("/usr/local/lib/node_modules/npm/bin/npx-cli.js", "#!/usr/bin/env node\nrequire('../lib/cli.js')(process)\n", 0o755);
    b.text("/usr/local/lib/node_modules/npm/package.json", "{\n  \"name\": \"npm\",\n  \"version\": \"10.8.2\"\n}\n");
    b.text("/usr/local/include/node/node_version.h", &format!("#define NODE_VERSION \"v{version}\"\n"));
    b.link("/usr/local/bin/yarn", "/opt/yarn-v1.22.22/bin/yarn");
    b.file("/opt/yarn-v1.22.22/bin/yarn", "#!/bin/sh\n# yarn 1.22.22 (modelled)\n", 0o755);
    b.file("/usr/local/bin/docker-entrypoint.sh", "#!/bin/sh\nset -e\nif [ \"${1#-}\" != \"${1}\" ] || [ -z \"$(command -v \"${1}\" 2>/dev/null)\" ]; then\n  set -- node \"$@\"\nfi\nexec \"$@\"\n", 0o755);
    b.fill("/usr/local/bin/node", 3);
    b.fill("/usr/local/lib/node_modules/npm/node_modules/node-gyp/gyp/pylib/gyp/input.py", 1);
}
