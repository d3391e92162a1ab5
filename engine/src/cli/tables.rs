//! The declarative tables ([`Command`]) of Docker 28's commands that Berth runs, other
//! than `run`/`create` (`run_flags.rs`) and `build` (`build.rs`): each command's usage
//! line, description, aliases and flags, as docker/cli declares them. Parsing, `--help`,
//! the conformance suite and the sandbox's completion all read them through
//! [`super::TABLES`].

use super::flags::{flag, Command, Flag, Kind};

/// The options of `stop` and `restart`.
const STOP_FLAGS: &[Flag] = &[
    flag("signal", Kind::String, "Signal to send to the container").short('s'),
    flag("timeout", Kind::Int, "Seconds to wait before killing the container").short('t'),
    // docker/cli's deprecated spelling, still read.
    flag("time", Kind::Int, "Seconds to wait before killing the container").hidden(),
];

pub static STOP: Command = Command { path: "stop", usage: "[OPTIONS] CONTAINER [CONTAINER...]", about: "Stop one or more running containers", aliases: &["container stop", "stop"], flags: STOP_FLAGS, interspersed: true };

pub static RESTART: Command = Command { path: "restart", usage: "[OPTIONS] CONTAINER [CONTAINER...]", about: "Restart one or more containers", aliases: &["container restart", "restart"], flags: STOP_FLAGS, interspersed: true };

pub static KILL: Command = Command {
    path: "kill",
    usage: "[OPTIONS] CONTAINER [CONTAINER...]",
    about: "Kill one or more running containers",
    aliases: &["container kill", "kill"],
    flags: &[flag("signal", Kind::String, "Signal to send to the container").short('s')],
    interspersed: true,
};

/// `docker ps`'s table: what it takes and what `--help` says of it.
pub static PS: Command = Command {
    path: "ps",
    usage: "[OPTIONS]",
    about: "List containers",
    aliases: &["container ls", "container list", "container ps", "ps"],
    flags: &[
        flag("all", Kind::Bool, "Show all containers (default shows just running)").short('a'),
        flag("filter", Kind::Filter, "Filter output based on conditions provided").short('f'),
        flag("format", Kind::String, FORMAT_USAGE),
        flag("last", Kind::Int, "Show n last created containers (includes all states)").short('n').default("-1"),
        flag("latest", Kind::Bool, "Show the latest created container (includes all states)").short('l'),
        flag("no-trunc", Kind::Bool, "Don't truncate output"),
        flag("quiet", Kind::Bool, "Only display container IDs").short('q'),
        flag("size", Kind::Bool, "Display total file sizes").short('s'),
    ],
    interspersed: true,
};

/// The usage docker/cli gives every listing's `--format`.
pub const FORMAT_USAGE: &str = "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

pub static CP: Command = Command {
    path: "cp",
    usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    about: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
    aliases: &["container cp", "cp"],
    flags: &[
        flag("archive", Kind::Bool, "Archive mode (copy all uid/gid information)").short('a'),
        flag("follow-link", Kind::Bool, "Always follow symlinks in SRC_PATH").short('L'),
        flag("quiet", Kind::Bool, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached").short('q'),
    ],
    interspersed: true,
};

// The `volume` subcommands.

pub static VOLUME_CREATE: Command = Command {
    path: "volume create",
    usage: "[OPTIONS] [VOLUME]",
    about: "Create a volume",
    aliases: &[],
    flags: &[
        flag("availability", Kind::String, "Cluster Volume availability (\"active\", \"pause\", \"drain\")").default("active"),
        flag("driver", Kind::String, "Specify volume driver name").short('d').default("local"),
        flag("group", Kind::String, "Cluster Volume group (cluster volumes)"),
        flag("label", Kind::List, "Set metadata for a volume"),
        flag("limit-bytes", Kind::Bytes, "Minimum size of the Cluster Volume in bytes"),
        flag("opt", Kind::Map, "Set driver specific options").short('o'),
        flag("required-bytes", Kind::Bytes, "Maximum size of the Cluster Volume in bytes"),
        flag("scope", Kind::String, "Cluster Volume access scope (\"single\", \"multi\")").default("single"),
        flag("secret", Kind::Map, "Cluster Volume secrets"),
        flag("sharing", Kind::String, "Cluster Volume access sharing (\"none\", \"readonly\", \"onewriter\", \"all\")").default("none"),
        flag("topology-preferred", Kind::List, "A topology that the Cluster Volume would be preferred in"),
        flag("topology-required", Kind::List, "A topology that the Cluster Volume must be accessible from"),
        flag("type", Kind::String, "Cluster Volume access type (\"mount\", \"block\")").default("block"),
        flag("name", Kind::String, "Specify volume name").hidden(),
    ],
    interspersed: true,
};

pub static VOLUME_LS: Command = Command {
    path: "volume ls",
    usage: "[OPTIONS]",
    about: "List volumes",
    aliases: &["volume ls", "volume list"],
    flags: &[
        flag("cluster", Kind::Bool, "Display only cluster volumes, and use cluster volume list formatting"),
        flag("filter", Kind::Filter, "Provide filter values (e.g. \"dangling=true\")").short('f'),
        flag("format", Kind::String, FORMAT_USAGE),
        flag("quiet", Kind::Bool, "Only display volume names").short('q'),
    ],
    interspersed: true,
};

pub static VOLUME_INSPECT: Command = Command {
    path: "volume inspect",
    usage: "[OPTIONS] VOLUME [VOLUME...]",
    about: "Display detailed information on one or more volumes",
    aliases: &[],
    flags: &[flag("format", Kind::String, "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates").short('f')],
    interspersed: true,
};

pub static VOLUME_PRUNE: Command = Command {
    path: "volume prune",
    usage: "[OPTIONS]",
    about: "Remove unused local volumes",
    aliases: &[],
    flags: &[
        flag("all", Kind::Bool, "Remove all unused volumes, not just anonymous ones").short('a'),
        flag("filter", Kind::Filter, "Provide filter values (e.g. \"label=<label>\")"),
        flag("force", Kind::Bool, "Do not prompt for confirmation").short('f'),
    ],
    interspersed: true,
};

pub static VOLUME_RM: Command = Command {
    path: "volume rm",
    usage: "[OPTIONS] VOLUME [VOLUME...]",
    about: "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
    aliases: &["volume rm", "volume remove"],
    flags: &[flag("force", Kind::Bool, "Force the removal of one or more volumes").short('f')],
    interspersed: true,
};

pub static VOLUME_UPDATE: Command = Command {
    path: "volume update",
    usage: "[OPTIONS] [VOLUME]",
    about: "Update a volume (cluster volumes only)",
    aliases: &[],
    flags: &[flag("availability", Kind::String, "Cluster Volume availability (\"active\", \"pause\", \"drain\")").default("active")],
    interspersed: true,
};

/// `docker images`'s table.
pub static IMAGES: Command = Command {
    path: "images",
    usage: "[OPTIONS] [REPOSITORY[:TAG]]",
    about: "List images",
    aliases: &["image ls", "image list", "images"],
    flags: &[
        flag("all", Kind::Bool, "Show all images (default hides intermediate and dangling images)").short('a'),
        flag("digests", Kind::Bool, "Show digests"),
        flag("filter", Kind::Filter, "Filter output based on conditions provided").short('f'),
        flag("format", Kind::String, FORMAT_USAGE),
        flag("no-trunc", Kind::Bool, "Don't truncate output"),
        flag("quiet", Kind::Bool, "Only show image IDs").short('q'),
        flag("tree", Kind::Bool, "List multi-platform images as a tree (EXPERIMENTAL)"),
    ],
    interspersed: true,
};

/// The usage docker/cli gives `--format` where there is no table view (`inspect`, `info`).
pub const JSON_FORMAT_USAGE: &str = "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const DETACH_KEYS: &str = "Override the key sequence for detaching a container";
const PLATFORM: &str = "Set platform if server is multi-platform capable";

pub static LOGS: Command = Command::new("logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", &["container logs", "logs"], &[
    flag("details", Kind::Bool, "Show extra details provided to logs"),
    flag("follow", Kind::Bool, "Follow log output").short('f'),
    flag("since", Kind::String, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
    flag("tail", Kind::String, "Number of lines to show from the end of the logs").short('n').default("all"),
    flag("timestamps", Kind::Bool, "Show timestamps").short('t'),
    flag("until", Kind::String, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
]);

pub static EXEC: Command = Command::new("exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container", &["container exec", "exec"], &[
    flag("detach", Kind::Bool, "Detached mode: run command in the background").short('d'),
    flag("detach-keys", Kind::String, DETACH_KEYS),
    flag("env", Kind::List, "Set environment variables").short('e'),
    flag("env-file", Kind::List, "Read in a file of environment variables"),
    flag("interactive", Kind::Bool, "Keep STDIN open even if not attached").short('i'),
    flag("privileged", Kind::Bool, "Give extended privileges to the command"),
    flag("tty", Kind::Bool, "Allocate a pseudo-TTY").short('t'),
    flag("user", Kind::String, "Username or UID (format: \"<name|uid>[:<group|gid>]\")").short('u'),
    flag("workdir", Kind::String, "Working directory inside the container").short('w'),
])
.program_args();

pub static RM: Command = Command::new("rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", &["container rm", "container remove", "rm"], &[
    flag("force", Kind::Bool, "Force the removal of a running container (uses SIGKILL)").short('f'),
    flag("link", Kind::Bool, "Remove the specified link").short('l'),
    flag("volumes", Kind::Bool, "Remove anonymous volumes associated with the container").short('v'),
]);

pub static START: Command = Command::new("start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers", &["container start", "start"], &[
    flag("attach", Kind::Bool, "Attach STDOUT/STDERR and forward signals").short('a'),
    // Experimental in docker/cli, and so not listed.
    flag("checkpoint", Kind::String, "Restore from this checkpoint").hidden(),
    flag("checkpoint-dir", Kind::String, "Use a custom checkpoint storage directory").hidden(),
    flag("detach-keys", Kind::String, DETACH_KEYS),
    flag("interactive", Kind::Bool, "Attach container's STDIN").short('i'),
]);

pub static ATTACH: Command = Command::new("attach", "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a running container", &["container attach", "attach"], &[
    flag("detach-keys", Kind::String, DETACH_KEYS),
    flag("no-stdin", Kind::Bool, "Do not attach STDIN"),
    flag("sig-proxy", Kind::Bool, "Proxy all received signals to the process").default("true"),
]);

pub static INSPECT: Command = Command::new("inspect", "[OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on Docker objects", &[], &[
    flag("format", Kind::String, JSON_FORMAT_USAGE).short('f'),
    flag("size", Kind::Bool, "Display total file sizes if the type is container").short('s'),
    flag("type", Kind::String, "Only inspect objects of the given type"),
]);

pub static CONTAINER_INSPECT: Command = Command::new("container inspect", "[OPTIONS] CONTAINER [CONTAINER...]", "Display detailed information on one or more containers", &[], &[
    flag("format", Kind::String, JSON_FORMAT_USAGE).short('f'),
    flag("size", Kind::Bool, "Display total file sizes").short('s'),
]);

pub static IMAGE_INSPECT: Command = Command::new("image inspect", "[OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images", &[], &[
    flag("format", Kind::String, JSON_FORMAT_USAGE).short('f'),
    flag("platform", Kind::String, "Inspect a specific platform of the multi-platform image.\nIf the image or the server is not multi-platform capable, the command will error out if the platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)"),
]);

pub static TOP: Command = Command::new("top", "CONTAINER [ps OPTIONS]", "Display the running processes of a container", &["container top", "top"], &[]).program_args();
pub static WAIT: Command = Command::new("wait", "CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes", &["container wait", "wait"], &[]);
pub static RENAME: Command = Command::new("rename", "CONTAINER NEW_NAME", "Rename a container", &["container rename", "rename"], &[]);
pub static DIFF: Command = Command::new("diff", "CONTAINER", "Inspect changes to files or directories on a container's filesystem", &["container diff", "diff"], &[]);
pub static PAUSE: Command = Command::new("pause", "CONTAINER [CONTAINER...]", "Pause all processes within one or more containers", &["container pause", "pause"], &[]);
pub static UNPAUSE: Command = Command::new("unpause", "CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers", &["container unpause", "unpause"], &[]);

pub static EXPORT: Command = Command::new("export", "[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive", &["container export", "export"], &[
    flag("output", Kind::String, "Write to a file, instead of STDOUT").short('o'),
]);

pub static COMMIT: Command = Command::new("commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", "Create a new image from a container's changes", &["container commit", "commit"], &[
    flag("author", Kind::String, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")").short('a'),
    flag("change", Kind::List, "Apply Dockerfile instruction to the created image").short('c'),
    flag("message", Kind::String, "Commit message").short('m'),
    flag("pause", Kind::Bool, "Pause container during commit").short('p').default("true"),
]);

pub static STATS: Command = Command::new("stats", "[OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage statistics", &["container stats", "stats"], &[
    flag("all", Kind::Bool, "Show all containers (default shows just running)").short('a'),
    flag("format", Kind::String, FORMAT_USAGE),
    flag("no-stream", Kind::Bool, "Disable streaming stats and only pull the first result"),
    flag("no-trunc", Kind::Bool, "Do not truncate output"),
]);

pub static UPDATE: Command = Command::new("update", "[OPTIONS] CONTAINER [CONTAINER...]", "Update configuration of one or more containers", &["container update", "update"], &[
    flag("blkio-weight", Kind::Custom("uint16"), "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)"),
    flag("cpu-period", Kind::Int, "Limit CPU CFS (Completely Fair Scheduler) period"),
    flag("cpu-quota", Kind::Int, "Limit CPU CFS (Completely Fair Scheduler) quota"),
    flag("cpu-rt-period", Kind::Int, "Limit the CPU real-time period in microseconds"),
    flag("cpu-rt-runtime", Kind::Int, "Limit the CPU real-time runtime in microseconds"),
    flag("cpu-shares", Kind::Int, "CPU shares (relative weight)").short('c'),
    flag("cpus", Kind::Decimal, "Number of CPUs"),
    flag("cpuset-cpus", Kind::String, "CPUs in which to allow execution (0-3, 0,1)"),
    flag("cpuset-mems", Kind::String, "MEMs in which to allow execution (0-3, 0,1)"),
    flag("kernel-memory", Kind::Bytes, "Kernel memory limit (deprecated)").hidden(),
    flag("memory", Kind::Bytes, "Memory limit").short('m'),
    flag("memory-reservation", Kind::Bytes, "Memory soft limit"),
    flag("memory-swap", Kind::Bytes, "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
    flag("pids-limit", Kind::Int, "Tune container pids limit (set -1 for unlimited)"),
    flag("restart", Kind::String, "Restart policy to apply when a container exits"),
]);

pub static CONTAINER_PRUNE: Command = Command::new("container prune", "[OPTIONS]", "Remove all stopped containers", &[], &[
    flag("filter", Kind::Filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
    flag("force", Kind::Bool, "Do not prompt for confirmation").short('f'),
]);

pub static RMI: Command = Command::new("rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", &["image rm", "image remove", "rmi"], &[
    flag("force", Kind::Bool, "Force removal of the image").short('f'),
    flag("no-prune", Kind::Bool, "Do not delete untagged parents"),
    flag("platform", Kind::Strings, "Remove only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
]);

pub static HISTORY: Command = Command::new("history", "[OPTIONS] IMAGE", "Show the history of an image", &["image history", "history"], &[
    flag("format", Kind::String, FORMAT_USAGE),
    flag("human", Kind::Bool, "Print sizes and dates in human readable format").short('H').default("true"),
    flag("no-trunc", Kind::Bool, "Don't truncate output"),
    flag("platform", Kind::String, "Show history for the given platform. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
    flag("quiet", Kind::Bool, "Only show image IDs").short('q'),
]);

pub static TAG: Command = Command::new("tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", &["image tag", "tag"], &[]);

pub static SAVE: Command = Command::new("save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive (streamed to STDOUT by default)", &["image save", "save"], &[
    flag("output", Kind::String, "Write to a file, instead of STDOUT").short('o'),
    flag("platform", Kind::String, "Save only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
]);

pub static LOAD: Command = Command::new("load", "[OPTIONS]", "Load an image from a tar archive or STDIN", &["image load", "load"], &[
    flag("input", Kind::String, "Read from tar archive file, instead of STDIN").short('i'),
    flag("platform", Kind::String, "Load only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
    flag("quiet", Kind::Bool, "Suppress the load output").short('q'),
]);

pub static IMPORT: Command = Command::new("import", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]", "Import the contents from a tarball to create a filesystem image", &["image import", "import"], &[
    flag("change", Kind::List, "Apply Dockerfile instruction to the created image").short('c'),
    flag("message", Kind::String, "Set commit message for imported image").short('m'),
    flag("platform", Kind::String, PLATFORM),
]);

pub static PULL: Command = Command::new("pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", &["image pull", "pull"], &[
    flag("all-tags", Kind::Bool, "Download all tagged images in the repository").short('a'),
    flag("disable-content-trust", Kind::Bool, "Skip image verification").default("true"),
    flag("platform", Kind::String, PLATFORM),
    flag("quiet", Kind::Bool, "Suppress verbose output").short('q'),
]);

pub static PUSH: Command = Command::new("push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", &["image push", "push"], &[
    flag("all-tags", Kind::Bool, "Push all tags of an image to the repository").short('a'),
    flag("disable-content-trust", Kind::Bool, "Skip image signing").default("true"),
    flag("platform", Kind::String, "Push a platform-specific manifest as a single-platform image to the registry.\nImage index won't be pushed, meaning that other manifests, including attestations won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)"),
    flag("quiet", Kind::Bool, "Suppress verbose output").short('q'),
]);

pub static IMAGE_PRUNE: Command = Command::new("image prune", "[OPTIONS]", "Remove unused images", &[], &[
    flag("all", Kind::Bool, "Remove all unused images, not just dangling ones").short('a'),
    flag("filter", Kind::Filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
    flag("force", Kind::Bool, "Do not prompt for confirmation").short('f'),
]);

pub static LOGIN: Command = Command::new("login", "[OPTIONS] [SERVER]", "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.", &[], &[
    flag("password", Kind::String, "Password or Personal Access Token (PAT)").short('p'),
    flag("password-stdin", Kind::Bool, "Take the Password or Personal Access Token (PAT) from stdin"),
    flag("username", Kind::String, "Username").short('u'),
]);

pub static LOGOUT: Command = Command::new("logout", "[SERVER]", "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.", &[], &[]);

pub static SYSTEM_DF: Command = Command::new("system df", "[OPTIONS]", "Show docker disk usage", &[], &[
    flag("format", Kind::String, FORMAT_USAGE),
    flag("verbose", Kind::Bool, "Show detailed information on space usage").short('v'),
]);

pub static SYSTEM_PRUNE: Command = Command::new("system prune", "[OPTIONS]", "Remove unused data", &[], &[
    flag("all", Kind::Bool, "Remove all unused images not just dangling ones").short('a'),
    flag("filter", Kind::Filter, "Provide filter values (e.g. \"label=<key>=<value>\")"),
    flag("force", Kind::Bool, "Do not prompt for confirmation").short('f'),
    flag("volumes", Kind::Bool, "Prune anonymous volumes"),
]);

pub static INFO: Command = Command::new("info", "[OPTIONS]", "Display system-wide information", &["system info", "info"], &[flag("format", Kind::String, JSON_FORMAT_USAGE).short('f')]);

pub static VERSION: Command = Command::new("version", "[OPTIONS]", "Show the Docker version information", &[], &[flag("format", Kind::String, JSON_FORMAT_USAGE).short('f')]);

pub static EVENTS: Command = Command::new("events", "[OPTIONS]", "Get real time events from the server", &["system events", "events"], &[
    flag("filter", Kind::Filter, "Filter output based on conditions provided").short('f'),
    flag("format", Kind::String, JSON_FORMAT_USAGE),
    flag("since", Kind::String, "Show all events created since timestamp"),
    flag("until", Kind::String, "Stream events until this timestamp"),
]);

pub static PORT: Command = Command::new("port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings or a specific mapping for the container", &["container port", "port"], &[]);

// The `network` subcommands.

pub static NETWORK_CREATE: Command = Command {
    path: "network create",
    usage: "[OPTIONS] NETWORK",
    about: "Create a network",
    aliases: &[],
    flags: &[
        flag("attachable", Kind::Bool, "Enable manual container attachment"),
        flag("aux-address", Kind::Map, "Auxiliary IPv4 or IPv6 addresses used by Network driver"),
        flag("config-from", Kind::String, "The network from which to copy the configuration"),
        flag("config-only", Kind::Bool, "Create a configuration only network"),
        flag("driver", Kind::String, "Driver to manage the Network").short('d').default("bridge"),
        flag("gateway", Kind::Strings, "IPv4 or IPv6 Gateway for the master subnet"),
        flag("ingress", Kind::Bool, "Create swarm routing-mesh network"),
        flag("internal", Kind::Bool, "Restrict external access to the network"),
        flag("ip-range", Kind::Strings, "Allocate container ip from a sub-range"),
        flag("ipam-driver", Kind::String, "IP Address Management Driver").default("default"),
        flag("ipam-opt", Kind::Map, "Set IPAM driver specific options"),
        flag("ipv4", Kind::Bool, "Enable or disable IPv4 address assignment").default("true"),
        flag("ipv6", Kind::Bool, "Enable or disable IPv6 address assignment"),
        flag("label", Kind::List, "Set metadata on a network"),
        flag("opt", Kind::Map, "Set driver specific options").short('o'),
        flag("scope", Kind::String, "Control the network's scope"),
        flag("subnet", Kind::Strings, "Subnet in CIDR format that represents a network segment"),
    ],
    interspersed: true,
};

pub static NETWORK_LS: Command = Command {
    path: "network ls",
    usage: "[OPTIONS]",
    about: "List networks",
    aliases: &["network ls", "network list"],
    flags: &[
        flag("filter", Kind::Filter, "Provide filter values (e.g. \"driver=bridge\")").short('f'),
        flag("format", Kind::String, FORMAT_USAGE),
        flag("no-trunc", Kind::Bool, "Do not truncate the output"),
        flag("quiet", Kind::Bool, "Only display network IDs").short('q'),
    ],
    interspersed: true,
};

pub static NETWORK_INSPECT: Command = Command {
    path: "network inspect",
    usage: "[OPTIONS] NETWORK [NETWORK...]",
    about: "Display detailed information on one or more networks",
    aliases: &[],
    flags: &[
        flag("format", Kind::String, "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates").short('f'),
        flag("verbose", Kind::Bool, "Verbose output for diagnostics").short('v'),
    ],
    interspersed: true,
};

pub static NETWORK_RM: Command = Command {
    path: "network rm",
    usage: "NETWORK [NETWORK...]",
    about: "Remove one or more networks",
    aliases: &["network rm", "network remove"],
    flags: &[flag("force", Kind::Bool, "Do not error if the network does not exist").short('f')],
    interspersed: true,
};

pub static NETWORK_PRUNE: Command = Command {
    path: "network prune",
    usage: "[OPTIONS]",
    about: "Remove all unused networks",
    aliases: &[],
    flags: &[
        flag("filter", Kind::Filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
        flag("force", Kind::Bool, "Do not prompt for confirmation").short('f'),
    ],
    interspersed: true,
};

pub static NETWORK_CONNECT: Command = Command {
    path: "network connect",
    usage: "[OPTIONS] NETWORK CONTAINER",
    about: "Connect a container to a network",
    aliases: &[],
    flags: &[
        flag("alias", Kind::Strings, "Add network-scoped alias for the container"),
        flag("driver-opt", Kind::Strings, "driver options for the network"),
        flag("gw-priority", Kind::Int, "Highest gw-priority provides the default gateway. Accepts positive and negative values."),
        flag("ip", Kind::String, "IPv4 address (e.g., \"172.30.100.104\")"),
        flag("ip6", Kind::String, "IPv6 address (e.g., \"2001:db8::33\")"),
        flag("link", Kind::List, "Add link to another container"),
        flag("link-local-ip", Kind::Strings, "Add a link-local address for the container"),
    ],
    interspersed: true,
};

pub static NETWORK_DISCONNECT: Command = Command {
    path: "network disconnect",
    usage: "[OPTIONS] NETWORK CONTAINER",
    about: "Disconnect a container from a network",
    aliases: &[],
    flags: &[flag("force", Kind::Bool, "Force the container to disconnect from a network").short('f')],
    interspersed: true,
};
