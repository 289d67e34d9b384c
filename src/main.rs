//! The `ramcheck` command line: argument parsing and exit statuses only;
//! the work is done by the library.
//!
//! Conventions every subcommand shares, each one call away (see `Output`
//! and `parse`): `-` for standard input wherever a file is taken (the
//! library's `input` module reads it); `--color`, `NO_COLOR` and
//! `CLICOLOR_FORCE` (`ColorArg::stdout`); errors as `ramcheck: error: …` on
//! stderr and, with `--format json`, `{"error": {…}}` on stdout
//! (`Output::fail`); exit statuses from `ramcheck::errors::exit`.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use ramcheck::analysis;
use ramcheck::can_i;
use ramcheck::errors::{Coded, ErrorReport, exit};
use ramcheck::generate;
use ramcheck::lint;
use ramcheck::policy::PolicyKind;
use ramcheck::terminal::{self, ColorChoice};

/// Strict checks for Alibaba Cloud RAM policies.
#[derive(Parser)]
#[command(name = "ramcheck", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    /// When to colour output: auto (a terminal, unless NO_COLOR is set;
    /// CLICOLOR_FORCE forces it), always, never.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorArg::Auto,
        display_order = 1000
    )]
    color: ColorArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    fn choice(self) -> ColorChoice {
        match self {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }

    /// Whether standard output may be coloured.
    fn stdout(self) -> bool {
        self.choice().stdout()
    }
}

#[derive(Subcommand)]
enum Command {
    /// Ask whether a principal may call an action on a resource.
    ///
    /// Exit status: 0 allowed; 1 denied (explicitly or implicitly);
    /// 2 error (invalid policy, unknown principal, bad context value, usage).
    ///
    /// Examples:
    ///
    ///   ramcheck can-i imm:AttachOSSBucket acs:imm:cn-hangzhou:1234567890123456:project/immtest --as user/alice
    ///
    ///   ramcheck can-i imm:GetProject '*' --policy my-policy.json --explain
    ///
    ///   ramcheck can-i imm:UpdateProject acs:imm:cn-hangzhou:1234567890123456:project/media-news \
    ///       --as user/bob --context acs:SourceIp=192.0.2.10 --format json
    ///
    ///   ramcheck can-i --api AttachOSSBucket --param ProjectName=immtest \
    ///       --param OSSBucket=examplebucket --region cn-hangzhou --as user/alice
    #[command(name = "can-i", verbatim_doc_comment)]
    CanI(Box<CanIArgs>),
    /// Check policy documents before they are deployed.
    ///
    /// Exit status: 0 no finding at or above --fail-on; 1 at least one such
    /// finding (a file that is not valid JSON is a finding); 2 a path cannot
    /// be read, or a usage or configuration error.
    ///
    /// Examples:
    ///
    ///   ramcheck lint my-policy.json
    ///
    ///   ramcheck lint policies/ --config policies/ramcheck.toml --format sarif > ramcheck.sarif
    ///
    ///   ramcheck lint 'infra/**/*.json' --kind session --fail-on warning
    ///
    ///   ramcheck lint --terraform-plan plan.json --format github
    #[command(verbatim_doc_comment)]
    Lint(LintArgs),
    /// List the lint rules, or show one rule's documentation.
    ///
    /// Examples:
    ///
    ///   ramcheck rules
    ///
    ///   ramcheck rules RC203
    #[command(verbatim_doc_comment)]
    Rules(RulesArgs),
    /// Write a least-privilege policy from intents, ActionTrail events or a denial, proven before it is printed.
    ///
    /// Exit status: 0 the policy was written; 1 --from-error: the denial is
    /// one no Allow can fix (explicit deny, control policy, trust policy);
    /// 2 bad input (unknown action, resource that does not fit it,
    /// unreadable file, nothing to grant); 3 internal error: the generated
    /// policy failed its own check and was not printed.
    ///
    /// Examples:
    ///
    ///   ramcheck generate --request "imm:AttachOSSBucket acs:imm:cn-hangzhou:1234567890123456:project/immtest"
    ///
    ///   ramcheck generate --from intents.jsonl --require acs:SourceIp=192.0.2.0/24 --expires 2026-12-31T00:00:00Z
    ///
    ///   ramcheck generate --from actiontrail-events.json --principal role/media-worker \
    ///       --since 2025-01-01T00:00:00Z --explain --output media-worker.json
    ///
    ///   ramcheck generate --from-error error.json --api GetProject --param ProjectName=immtest \
    ///       --region cn-hangzhou --into alice.json
    ///
    ///   ramcheck generate --service oss --access read \
    ///       --resource acs:oss:cn-hangzhou:1234567890123456:examplebucket
    ///
    ///   ramcheck generate --from actiontrail-events.json --max-policies 2
    #[command(verbatim_doc_comment)]
    Generate(Box<GenerateArgs>),
    /// Show what the built-in catalogue knows: every RAM code, one service's
    /// resource types, condition keys and actions, one action, or the
    /// actions a pattern covers. Every fact names its source.
    ///
    /// Exit status: 0 answered; 2 unknown code or action, or a malformed
    /// query.
    ///
    /// Examples:
    ///
    ///   ramcheck catalog
    ///
    ///   ramcheck catalog oss
    ///
    ///   ramcheck catalog imm:AttachOSSBucket
    ///
    ///   ramcheck catalog 'oss:Get*' --format json
    #[command(verbatim_doc_comment)]
    Catalog(CatalogArgs),
    /// Serve decisions over HTTP for gateways (nginx auth_request, any language).
    ///
    /// Endpoints: GET /healthz, POST /v1/authorize, POST /v1/authorize/api,
    /// /v1/auth-request (headers in, 200/403/400 out), GET /metrics.
    /// Reloads the store on SIGHUP and when its content changes (keeping the
    /// last good store); stops on SIGTERM or SIGINT once requests in flight
    /// are answered. Exit status: 0 stopped by a signal; 2 the store, the
    /// address or the log could not be used.
    ///
    /// Examples:
    ///
    ///   ramcheck serve --store policies --listen 127.0.0.1:8181
    ///
    ///   ramcheck serve --decision-log decisions.jsonl --log-context values
    #[cfg(feature = "serve")]
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// Prove that NEW grants nothing OLD does not, or show requests it newly allows.
    ///
    /// OLD and NEW are two policy files, or two store directories (compared
    /// per principal). Every example request is re-checked with the evaluator.
    ///
    /// Exit status: 0 no new access; 1 new access; 2 error; 3 internal
    /// error (a witness did not check); 4 undecided (a budget was exceeded).
    ///
    /// Examples:
    ///
    ///   ramcheck diff old.json new.json
    ///
    ///   ramcheck diff old-store/ new-store/ --both --format json
    ///
    ///   ramcheck diff main.json pr.json --format github
    #[command(verbatim_doc_comment)]
    Diff(DiffArgs),
    /// Check one policy: nothing matching --not-granted is allowed, or no public access.
    ///
    /// Exit status: 0 pass; 1 fail; 2 error; 3 internal error; 4 undecided.
    ///
    /// Examples:
    ///
    ///   ramcheck check policy.json --not-granted "ram:*" --not-granted "imm:Delete*"
    ///
    ///   ramcheck check bucket-policy.json --kind resource --no-public-access
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// List every principal of the store allowed an action on a resource.
    ///
    /// Exit status: 0 someone can; 1 nobody can; 2 error; 3 internal error;
    /// 4 undecided (a budget was exceeded and nobody was shown to).
    ///
    /// Examples:
    ///
    ///   ramcheck who-can imm:DeleteProject acs:imm:cn-hangzhou:1234567890123456:project/immtest
    ///
    ///   ramcheck who-can sts:AssumeRole acs:ram::1234567890123456:role/imm-deployer --format json
    #[command(name = "who-can", verbatim_doc_comment)]
    WhoCan(WhoCanArgs),
    /// Print a shell completion script.
    ///
    /// Examples:
    ///
    ///   ramcheck completions bash > ~/.local/share/bash-completion/completions/ramcheck
    ///
    ///   ramcheck completions zsh > ~/.zfunc/_ramcheck
    ///
    ///   ramcheck completions fish > ~/.config/fish/completions/ramcheck.fish
    #[command(verbatim_doc_comment)]
    Completions(CompletionsArgs),
    /// Print the man page, or write every command's page to a directory.
    ///
    /// Examples:
    ///
    ///   ramcheck man | man -l -
    ///
    ///   ramcheck man --output-dir man/
    #[command(verbatim_doc_comment)]
    Man(ManArgs),
}

#[derive(clap::Args)]
struct CatalogArgs {
    /// A RAM code (oss), a code pattern (yundun*), an action
    /// (imm:AttachOSSBucket) or an action pattern (oss:Get*).
    query: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[cfg(feature = "serve")]
#[derive(clap::Args)]
struct ServeArgs {
    /// Principal store: principals.json and <PolicyName>.json files [default:
    /// $RAMCHECK_STORE, else ./policies].
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// The address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = ramcheck::serve::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// Write one JSON line per decision to FILE (appended), or to stdout with `-`.
    #[arg(long, value_name = "FILE|-")]
    decision_log: Option<String>,
    /// How much of the request context the decision log records.
    #[arg(long, value_name = "WHAT", default_value = "keys",
          value_parser = clap::builder::PossibleValuesParser::new(ramcheck::serve::LogContext::NAMES))]
    log_context: String,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The policy (or store directory) before the change.
    old: PathBuf,
    /// The policy (or store directory) after the change.
    new: PathBuf,
    /// Read both files as this kind of policy (default: as the document shows).
    #[arg(long, value_parser = policy_kind())]
    kind: Option<PolicyKind>,
    /// Also report access NEW removes.
    #[arg(long)]
    both: bool,
    /// The most example requests per direction.
    #[arg(long, value_name = "N", default_value_t = 20)]
    max: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The policy file.
    policy: PathBuf,
    /// "<ACTION> [<RESOURCE>]" patterns no request may be allowed; repeatable.
    #[arg(
        long = "not-granted",
        value_name = "ACTION [RESOURCE]",
        required_unless_present = "no_public_access"
    )]
    not_granted: Vec<String>,
    /// No caller from an account the policy does not name, unless a condition restricts the source.
    #[arg(long, conflicts_with = "not_granted")]
    no_public_access: bool,
    /// Read the file as this kind of policy (default: as the document shows).
    #[arg(long, value_parser = policy_kind())]
    kind: Option<PolicyKind>,
    /// The most violations reported.
    #[arg(long, value_name = "N", default_value_t = 20)]
    max: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
}

#[derive(clap::Args)]
struct WhoCanArgs {
    /// The action, e.g. imm:DeleteProject.
    action: String,
    /// The resource ARN, or `*`.
    resource: String,
    /// Principal store directory [default: $RAMCHECK_STORE, else ./policies].
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Request context as KEY=VALUE; keys not given may take any value (ConditionalAllow).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Also list the principals that are denied.
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(clap::Args)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
struct ManArgs {
    /// Write ramcheck.1 and one page per command (ramcheck-lint.1, ...) here
    /// instead of printing ramcheck.1.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// An action and the resource it needs, as "<ACTION> <RESOURCE>"; repeatable.
    #[arg(long = "request", value_name = "ACTION RESOURCE")]
    requests: Vec<String>,
    /// Intents (JSON lines {"action", "resource", "context"?}) or ActionTrail events
    /// (a JSON array, JSON lines, or SLS rows with an `event` field); repeatable;
    /// - reads standard input.
    #[arg(long = "from", value_name = "FILE")]
    from: Vec<PathBuf>,
    /// Keep only this principal's events: user/<name> or role/<name>.
    #[arg(long, value_name = "P")]
    principal: Option<String>,
    /// Keep events at or after this time (RFC 3339).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Keep events before this time (RFC 3339).
    #[arg(long, value_name = "T")]
    until: Option<String>,
    /// Also grant what failed calls (events with an errorCode) tried to do.
    #[arg(long)]
    include_failed: bool,
    /// Widen to wildcards: all actions of one verb, or all resources under one prefix.
    #[arg(long, value_enum, value_name = "WHAT")]
    collapse: Option<CollapseArg>,
    /// A condition on every statement, typed by the key; repeatable.
    #[arg(long = "require", value_name = "KEY=VALUE")]
    require: Vec<String>,
    /// Allow only before this time (DateLessThan on acs:CurrentTime).
    #[arg(long, value_name = "T")]
    expires: Option<String>,
    /// The policy name (split policies are NAME-1, NAME-2, ...).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Write the policy to FILE (split policies to FILE-1.json, ...) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print, per statement, which inputs it covers (on stderr).
    #[arg(long)]
    explain: bool,
    /// RAM's error response (Code NoPermission, AccessDeniedDetail; OSS's XML
    /// AccessDenied), a DecodeDiagnosticMessage answer or a failed ActionTrail event: write
    /// the statement that allows the denied call; - reads standard input.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["requests", "from", "principal", "since", "until", "include_failed", "collapse"]
    )]
    from_error: Option<PathBuf>,
    /// The denied call's API, e.g. GetProject (with --from-error).
    #[arg(long, value_name = "API", requires_all = ["from_error", "region"])]
    api: Option<String>,
    /// A parameter of the denied call as NAME=VALUE (with --api); repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "api")]
    params: Vec<String>,
    /// The region of the denied call, e.g. cn-hangzhou (with --api).
    #[arg(long, value_name = "REGION", requires = "api")]
    region: Option<String>,
    /// The account that owns the resource (with --api; default: the denied principal's).
    #[arg(long, value_name = "ACCOUNT", requires = "api")]
    account: Option<String>,
    /// Add the statement to this policy and print the result, with what the merge adds
    /// (with --from-error).
    #[arg(
        long,
        value_name = "POLICY",
        requires = "from_error",
        conflicts_with = "output"
    )]
    into: Option<PathBuf>,
    /// A resource ARN: of a --from-error denial whose call is not given, or of a
    /// --service template; repeatable.
    #[arg(long = "resource", value_name = "ARN")]
    resources: Vec<String>,
    /// A template: every catalogued action of --access on --resource, for this RAM code.
    #[arg(
        long,
        value_name = "CODE",
        requires = "access",
        conflicts_with = "from_error"
    )]
    service: Option<String>,
    /// At most N policies: broaden as little as possible to fit, and say what each step
    /// adds (default: RAM's limit of 10 custom policies per principal, when exceeded).
    #[arg(long, value_name = "N")]
    max_policies: Option<usize>,
    /// The template's access level (policy_sentry's CRUD levels).
    #[arg(long, value_enum, value_name = "LEVEL", requires = "service")]
    access: Option<AccessArg>,
    /// No progress and no notes on stderr (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum AccessArg {
    List,
    Read,
    Write,
    Permissions,
    Tagging,
}

#[derive(Clone, Copy, ValueEnum)]
enum CollapseArg {
    Actions,
    Resources,
}

#[derive(clap::Args)]
struct LintArgs {
    /// Policy files, directories (walked for *.json) or glob patterns; - reads
    /// standard input.
    #[arg(
        value_name = "PATH|GLOB|DIR",
        required_unless_present = "terraform_plan"
    )]
    paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Exit with status 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::SecurityWarning)]
    fail_on: FailOn,
    /// Read every file as this kind of policy (default: the configuration's kind for the file, else identity).
    #[arg(long, value_parser = policy_kind())]
    kind: Option<PolicyKind>,
    /// Do not report this rule, by code (RC203) or name (unknown-action); repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    ignore: Vec<String>,
    /// Configuration file (default: ramcheck.toml in the current directory or the
    /// nearest parent, up to the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use no configuration file, found or named.
    #[arg(long, conflicts_with = "config")]
    isolated: bool,
    /// Skip files the configuration excludes even when named on the command line
    /// (for pre-commit, which names every changed file).
    #[arg(long)]
    force_exclude: bool,
    /// The file that standard input (-) stands for: its name in findings, and the
    /// path matched against the configuration (kind, ignore, exclude).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Lint the RAM policies of a Terraform plan (`terraform show -json` output;
    /// - reads standard input).
    #[arg(long, value_name = "FILE")]
    terraform_plan: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// A rule code (e.g. RC203) or name (e.g. unknown-action).
    #[arg(value_name = "RULE")]
    code: Option<String>,
    /// Print every rule's documentation as Markdown (docs/lint-rules.md).
    #[arg(long, conflicts_with_all = ["code", "format"])]
    markdown: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum LintFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
    Info,
    Never,
}

/// `--kind`: the library's policy kinds, by name.
fn policy_kind() -> impl clap::builder::TypedValueParser<Value = PolicyKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(PolicyKind::ALL.map(PolicyKind::name))
        .map(|name: String| PolicyKind::from_name(&name).unwrap_or(PolicyKind::Identity))
}

#[derive(clap::Args)]
struct CanIArgs {
    /// The action, `<ram-code>:<action-name>`, e.g. imm:AttachOSSBucket.
    #[arg(
        required_unless_present_any = ["api", "list", "batch"],
        conflicts_with_all = ["api", "list", "batch"]
    )]
    action: Option<String>,
    /// The resource ARN, e.g. acs:imm:cn-hangzhou:1234567890123456:project/immtest, or `*`.
    #[arg(required_unless_present_any = ["api", "list", "batch"])]
    resource: Option<String>,
    /// List what the principal (--as) may do, per Allow statement, with the denies carved out.
    #[arg(long, requires = "principal", conflicts_with = "api")]
    list: bool,
    /// With --list: only this service's actions (a RAM code such as imm).
    #[arg(long, value_name = "CODE", requires = "list")]
    service: Option<String>,
    /// Answer one JSON query per line of FILE (- for standard input), one JSON
    /// answer per line: {"action", "resource", "principal"?, "context"?, "id"?}.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["api", "list", "explain", "quiet"])]
    batch: Option<PathBuf>,
    /// Check an API call instead: its RAM action and resources come from the catalogue.
    /// A bare name is IMM's (AttachOSSBucket); other services as CODE:API
    /// (ecs:StartInstance), their parameters filling the ARN templates.
    #[arg(long, value_name = "API", requires = "region")]
    api: Option<String>,
    /// An API parameter as NAME=VALUE (with --api); repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "api")]
    params: Vec<String>,
    /// The region of the API call, e.g. cn-hangzhou (with --api).
    #[arg(long, value_name = "REGION", requires = "api")]
    region: Option<String>,
    /// The account that owns the resource (with --api; defaults to the store's).
    #[arg(long, value_name = "ACCOUNT", requires = "api")]
    account: Option<String>,
    /// user/<name>, role/<name> or assumed-role/<role>/<session> from the store (ARN forms
    /// work too), service/<name>.aliyuncs.com, or saml-provider/<name> and
    /// oidc-provider/<name> for an identity provider's user assuming a role.
    #[arg(long = "as", value_name = "PRINCIPAL")]
    principal: Option<String>,
    /// Ask as a session of the role given with --as (assumed-role/<role>/<session>).
    #[arg(long, value_name = "NAME", requires = "principal")]
    session_name: Option<String>,
    /// Principal store: principals.json and <PolicyName>.json files. Read only with
    /// --as [default: $RAMCHECK_STORE, else ./policies].
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Identity policy for an ad-hoc principal; repeatable. Without --as these are the
    /// principal's only policies. A FILE of - reads standard input (for one flag).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Makes the principal (from --as or ad hoc) a role session created with this policy.
    #[arg(long, value_name = "FILE")]
    session_policy: Option<PathBuf>,
    /// Resource Directory control policy; repeatable.
    #[arg(long = "control-policy", value_name = "FILE")]
    control_policies: Vec<PathBuf>,
    /// Resource-based policy, e.g. a role's trust policy for sts:AssumeRole.
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// Request context as KEY=VALUE; repeat a key for multi-valued keys. acs:CurrentTime defaults to now.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Show the deciding statements, the closest misses and the failing parts.
    #[arg(long)]
    explain: bool,
    /// Treat a probable typo (an action its service does not list, a context key
    /// no service defines, a resource of the wrong type) as an error: exit 2.
    #[arg(long)]
    strict: bool,
    /// Print nothing: answer by exit status alone (errors still go to stderr).
    #[arg(short, long, conflicts_with_all = ["explain", "format"])]
    quiet: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = match parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(code),
    };
    let mut out = Output::default();
    let color = cli.color;
    let code = match cli.command {
        Command::CanI(args) => can_i(*args, &mut out),
        Command::Lint(args) => run_lint(args, color, &mut out),
        Command::Rules(args) => rules(args, &mut out),
        Command::Generate(args) => run_generate(*args, &mut out),
        Command::Completions(args) => completions(args, &mut out),
        Command::Man(args) => man(args, &mut out),
        Command::Catalog(args) => catalog(args, &mut out),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve(args, &mut out),
        Command::Diff(args) => run_diff(args, &mut out),
        Command::Check(args) => run_check(args, &mut out),
        Command::WhoCan(args) => run_who_can(args, &mut out),
    };
    out.exit(code)
}

/// Parses the command line. clap's own messages (usage errors, `--help`)
/// follow `--color`; a usage error with `--format json|sarif|github` also
/// prints the error in that format on stdout, as every other error does.
fn parse(argv: Vec<OsString>) -> Result<Cli, u8> {
    let color = match flag_value(&argv, "--color").as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    };
    let parsed = Cli::command()
        .color(color)
        .try_get_matches_from(&argv)
        .and_then(|m| Cli::from_arg_matches(&m));
    match parsed {
        Ok(cli) => Ok(cli),
        Err(e) => {
            let _ = e.print();
            let code = u8::try_from(e.exit_code()).unwrap_or(exit::ERROR);
            let format = ErrorFormat::named(flag_value(&argv, "--format").as_deref());
            if e.use_stderr() && format != ErrorFormat::Text {
                let text = e.render().to_string();
                let message = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                Output::default().machine_error(&ErrorReport::new("usage", message), format);
            }
            Err(code)
        }
    }
}

/// The value of `--flag VALUE` or `--flag=VALUE` (the last one), read
/// before clap parses, for what must be known even when parsing fails.
fn flag_value(argv: &[OsString], flag: &str) -> Option<String> {
    let mut value = None;
    let mut args = argv.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == flag {
            value = args.next().map(|v| v.into_owned());
        } else if let Some(v) = arg.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            value = Some(v.to_string());
        }
    }
    value
}

/// How an error is shown besides its message on stderr, as `--format`
/// asks: nothing more for text, `{"error": {...}}` for JSON, a failed run
/// for SARIF, an `::error` annotation for GitHub.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorFormat {
    Text,
    Json,
    Sarif,
    Github,
}

impl ErrorFormat {
    /// The error format of a command with `--format text|json`.
    fn of(format: Format) -> ErrorFormat {
        match format {
            Format::Text => ErrorFormat::Text,
            Format::Json => ErrorFormat::Json,
        }
    }

    /// The error format of a command with lint's four formats.
    fn of_lint(format: LintFormat) -> ErrorFormat {
        match format {
            LintFormat::Text => ErrorFormat::Text,
            LintFormat::Json => ErrorFormat::Json,
            LintFormat::Sarif => ErrorFormat::Sarif,
            LintFormat::Github => ErrorFormat::Github,
        }
    }

    /// The error format of a `--format` value (text for none or another).
    fn named(format: Option<&str>) -> ErrorFormat {
        match format {
            Some("json") => ErrorFormat::Json,
            Some("sarif") => ErrorFormat::Sarif,
            Some("github") => ErrorFormat::Github,
            _ => ErrorFormat::Text,
        }
    }
}

/// Where a command's text goes. A write that fails is remembered: a reader
/// that went away (`ramcheck lint | head`) leaves the exit status alone, any
/// other failure (a full disk, a closed descriptor) makes it 2, since the
/// answer was not delivered. Nothing here panics.
#[derive(Default)]
struct Output {
    failed: bool,
}

impl Output {
    fn write(&mut self, mut to: impl std::io::Write, text: &str) {
        use std::io::ErrorKind;
        if let Err(e) = to.write_all(text.as_bytes()).and_then(|()| to.flush())
            && e.kind() != ErrorKind::BrokenPipe
        {
            self.failed = true;
        }
    }

    fn stdout(&mut self, text: &str) {
        self.write(std::io::stdout().lock(), text);
    }

    /// A message on stderr, each of its lines escaped for the terminal
    /// and prefixed with the program's name.
    fn note(&mut self, text: &str) {
        let mut lines = String::new();
        for line in text.lines() {
            lines.push_str("ramcheck: ");
            lines.push_str(&terminal::escape(line));
            lines.push('\n');
        }
        self.write(std::io::stderr().lock(), &lines);
    }

    /// Reports an error (see [`ErrorFormat`]) and returns exit status 2.
    fn fail(&mut self, error: &dyn Coded, format: ErrorFormat) -> u8 {
        let report = error.report();
        self.note(&format!("error: {}", report.message));
        self.machine_error(&report, format);
        exit::ERROR
    }

    /// The error on stdout in `format` (nothing for text).
    fn machine_error(&mut self, report: &ErrorReport, format: ErrorFormat) {
        match format {
            ErrorFormat::Text => {}
            ErrorFormat::Json => self.stdout(&report.to_json_text()),
            ErrorFormat::Sarif => {
                self.stdout(&format!("{:#}\n", lint::render::sarif_failure(report)))
            }
            ErrorFormat::Github => self.stdout(&lint::render::github_failure(report)),
        }
    }

    fn exit(self, code: u8) -> ExitCode {
        ExitCode::from(if self.failed { exit::ERROR } else { code })
    }
}

/// The width to wrap text on standard output to: `COLUMNS` when set, else
/// the terminal's; `None` when it is not a terminal (no wrapping, for
/// scripts).
fn stdout_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(columns);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
}

fn completions(args: CompletionsArgs, out: &mut Output) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ramcheck", &mut script);
    out.stdout(&String::from_utf8_lossy(&script));
    exit::OK
}

/// The man pages: `ramcheck.1`, then `ramcheck-<command>.1` per command,
/// as `clap_mangen::generate_to` names them.
fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    for cmd in
        std::iter::once(&command).chain(command.get_subcommands().filter(|s| !s.is_hide_set()))
    {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut page = Vec::new();
        // Rendering into a Vec cannot fail.
        let _ = man.render(&mut page);
        pages.push((man.get_filename(), page));
    }
    pages
}

fn man(args: ManArgs, out: &mut Output) -> u8 {
    let pages = man_pages();
    let Some(dir) = args.output_dir else {
        out.stdout(&String::from_utf8_lossy(&pages[0].1));
        return exit::OK;
    };
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => exit::OK,
        Err(e) => out.fail(
            &ErrorReport::new(
                "output-failed",
                format!("cannot write man pages to {}: {e}", dir.display()),
            ),
            ErrorFormat::Text,
        ),
    }
}

/// Whether a progress line is on stderr, to be cleared at the end.
static PROGRESS_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `generate`'s progress on a terminal: one line, rewritten in place.
fn show_progress(p: &generate::Progress) {
    use std::io::Write as _;
    PROGRESS_SHOWN.store(true, std::sync::atomic::Ordering::Relaxed);
    let seconds = p.elapsed.as_secs_f64().max(1e-3);
    let _ = write!(
        std::io::stderr().lock(),
        "\rramcheck: {} records read, {} events mapped, {} distinct inputs ({:.0} records/s)\x1b[K",
        p.read,
        p.mapped,
        p.distinct,
        p.read as f64 / seconds
    );
}

fn run_generate(args: GenerateArgs, out: &mut Output) -> u8 {
    use std::io::IsTerminal as _;
    let options = generate::Options {
        requests: args.requests,
        from: args.from,
        principal: args.principal,
        since: args.since,
        until: args.until,
        include_failed: args.include_failed,
        collapse: args.collapse.map(|c| match c {
            CollapseArg::Actions => generate::synth::Collapse::Actions,
            CollapseArg::Resources => generate::synth::Collapse::Resources,
        }),
        require: args.require,
        expires: args.expires,
        name: args.name,
        resources: args.resources,
        max_policies: args.max_policies,
        template: args.service.map(|service| {
            use generate::template::{Access, Template};
            Template {
                service,
                access: match args.access {
                    Some(AccessArg::List) => Access::List,
                    Some(AccessArg::Read) | None => Access::Read,
                    Some(AccessArg::Write) => Access::Write,
                    Some(AccessArg::Permissions) => Access::Permissions,
                    Some(AccessArg::Tagging) => Access::Tagging,
                },
            }
        }),
        // Progress only where someone watches: a terminal's stderr.
        progress: (!args.quiet && std::io::stderr().is_terminal()).then_some(show_progress),
    };
    let result = match &args.from_error {
        Some(path) => {
            let call = generate::from_error::CallFlags {
                api: args.api,
                params: args.params,
                region: args.region,
                account: args.account,
            };
            generate::from_error::generate_from_error(path, &call, args.into.as_deref(), &options)
        }
        None => generate::generate(&options).map_err(Into::into),
    };
    if PROGRESS_SHOWN.load(std::sync::atomic::Ordering::Relaxed) {
        // Clear the progress line before anything else is written.
        out.write(std::io::stderr().lock(), "\r\x1b[K");
    }
    let generated = match result {
        Ok(g) => g,
        // Not an error: a negative answer, like `can-i`'s "no" (exit 1).
        Err(e @ generate::from_error::FromErrorError::NotFixable(_)) => {
            out.note(&e.to_string());
            return e.exit_code();
        }
        Err(e) => {
            out.fail(&e, ErrorFormat::Text);
            return e.exit_code();
        }
    };
    if !args.quiet {
        for line in generated.notes.iter().flat_map(|n| n.lines()) {
            out.note(line);
        }
    }
    if args.explain {
        let explanation = terminal::escape_lines(&generated.explanation).into_owned();
        out.write(std::io::stderr().lock(), &explanation);
    }
    match &args.output {
        Some(path) => match generated.write(path) {
            Ok(paths) => {
                for p in paths.iter().filter(|_| !args.quiet) {
                    out.note(&format!("wrote {}", p.display()));
                }
            }
            Err(e) => {
                out.fail(&e, ErrorFormat::Text);
                return e.exit_code();
            }
        },
        None => out.stdout(&generated.stdout_text()),
    }
    0
}

fn run_lint(args: LintArgs, color: ColorArg, out: &mut Output) -> u8 {
    use lint::Severity;
    let invocation = lint::Invocation {
        paths: args.paths,
        kind: args.kind,
        ignore: args.ignore,
        config: args.config,
        isolated: args.isolated,
        force_exclude: args.force_exclude,
        stdin_filename: args.stdin_filename,
        terraform_plan: args.terraform_plan,
    };
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::SecurityWarning => Some(Severity::SecurityWarning),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Suggestion => Some(Severity::Suggestion),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let (format, errors) = match args.format {
        LintFormat::Text => (lint::render::Format::Text, ErrorFormat::Text),
        LintFormat::Json => (lint::render::Format::Json, ErrorFormat::Json),
        LintFormat::Sarif => (lint::render::Format::Sarif, ErrorFormat::Sarif),
        LintFormat::Github => (lint::render::Format::Github, ErrorFormat::Github),
    };
    match lint::run(&invocation) {
        Ok(report) => {
            if let Some(warning) = report.nothing_found(&invocation) {
                out.note(&warning);
            }
            let color = format == lint::render::Format::Text && color.stdout();
            out.stdout(&lint::render::render(&report, format, color));
            if report.fails(threshold) {
                exit::NEGATIVE
            } else {
                exit::OK
            }
        }
        Err(e) => out.fail(&e, errors),
    }
}

fn rules(args: RulesArgs, out: &mut Output) -> u8 {
    if args.markdown {
        out.stdout(&lint::render::rules_markdown());
        return exit::OK;
    }
    let errors = ErrorFormat::of(args.format);
    let text = match (&args.code, args.format) {
        (None, Format::Text) => lint::render::rules_list_wrapped(stdout_width()),
        (None, Format::Json) => format!("{:#}\n", lint::render::rules_json()),
        (Some(code), format) => match lint::rules::resolve(code) {
            Ok(meta) => match format {
                Format::Text => lint::render::rule_doc(meta),
                Format::Json => format!("{:#}\n", lint::render::rule_json(meta)),
            },
            Err(e) => return out.fail(&e, errors),
        },
    };
    out.stdout(&text);
    exit::OK
}

fn catalog(args: CatalogArgs, out: &mut Output) -> u8 {
    let catalog = ramcheck::catalog::Catalog::builtin();
    match ramcheck::catalog::query::lookup(catalog, args.query.as_deref()) {
        Ok(answer) => {
            match args.format {
                Format::Text => out.stdout(&answer.to_text(catalog)),
                Format::Json => out.stdout(&format!("{:#}\n", answer.to_json(catalog))),
            }
            0
        }
        Err(e) => out.fail(&e, ErrorFormat::of(args.format)),
    }
}

#[cfg(feature = "serve")]
fn serve(args: ServeArgs, out: &mut Output) -> u8 {
    use ramcheck::serve::{LogContext, LogTarget, Options, run};
    let options = Options {
        store: can_i::store_location(args.store).0,
        listen: args.listen,
        decision_log: args.decision_log.as_deref().map(LogTarget::from_arg),
        log_context: LogContext::from_name(&args.log_context).unwrap_or_default(),
        ..Options::default()
    };
    match run(&options) {
        Ok(()) => exit::OK,
        Err(e) => out.fail(&e, ErrorFormat::Text),
    }
}

fn analysis_format(f: LintFormat) -> analysis::Format {
    match f {
        LintFormat::Text => analysis::Format::Text,
        LintFormat::Json => analysis::Format::Json,
        LintFormat::Sarif => analysis::Format::Sarif,
        LintFormat::Github => analysis::Format::Github,
    }
}

/// Reports an analysis error (see [`Output::fail`]); its exit status is 2,
/// or 3 for ramcheck's own bug.
fn analysis_error(e: analysis::AnalysisError, format: ErrorFormat, out: &mut Output) -> u8 {
    out.fail(&e, format);
    e.exit_code()
}

fn run_diff(args: DiffArgs, out: &mut Output) -> u8 {
    let paths = analysis::DiffPaths {
        old: args.old,
        new: args.new,
    };
    let options = analysis::DiffOptions {
        kind: args.kind,
        both: args.both,
        max: args.max,
    };
    match analysis::diff(&paths, &options) {
        Ok(report) => {
            out.stdout(&analysis::render::render_diff(
                &report,
                analysis_format(args.format),
            ));
            report.result.exit_code()
        }
        Err(e) => analysis_error(e, ErrorFormat::of_lint(args.format), out),
    }
}

// The library's errors are large (they carry spans); they sit on the cold
// path.
#[allow(clippy::result_large_err)]
fn run_check(args: CheckArgs, out: &mut Output) -> u8 {
    let question = if args.no_public_access {
        analysis::CheckQuestion::NoPublicAccess
    } else {
        match args
            .not_granted
            .iter()
            .map(|q| analysis::NotGranted::parse(q))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(list) => analysis::CheckQuestion::NotGranted(list),
            Err(e) => return analysis_error(e, ErrorFormat::of_lint(args.format), out),
        }
    };
    let policy = match analysis::load_policy(&args.policy, args.kind) {
        Ok(p) => p,
        Err(e) => return analysis_error(e, ErrorFormat::of_lint(args.format), out),
    };
    match analysis::check(&policy, &question, args.max) {
        Ok(report) => {
            out.stdout(&analysis::render::render_check(
                &report,
                analysis_format(args.format),
            ));
            report.result.exit_code()
        }
        Err(e) => analysis_error(e, ErrorFormat::of_lint(args.format), out),
    }
}

fn run_who_can(args: WhoCanArgs, out: &mut Output) -> u8 {
    let (store, _) = can_i::store_location(args.store);
    match analysis::who_can(
        &store,
        &args.action,
        &args.resource,
        &args.context,
        args.all,
    ) {
        Ok(report) => {
            match args.format {
                Format::Text => out.stdout(&analysis::render::who_can_text(&report)),
                Format::Json => out.stdout(&format!(
                    "{:#}\n",
                    serde_json::to_value(&report).unwrap_or_default()
                )),
            }
            report.exit_code()
        }
        Err(e) => analysis_error(e, ErrorFormat::of(args.format), out),
    }
}

fn can_i_list(args: CanIArgs, out: &mut Output) -> u8 {
    let principal = args.principal.unwrap_or_default();
    let (store, _) = can_i::store_location(args.store);
    match analysis::list(&store, &principal, args.service.as_deref()) {
        Ok(list) => {
            match args.format {
                Format::Text => out.stdout(&analysis::render::list_text(&list)),
                Format::Json => out.stdout(&format!(
                    "{:#}\n",
                    serde_json::to_value(&list).unwrap_or_default()
                )),
            }
            list.exit_code()
        }
        Err(e) => analysis_error(e, ErrorFormat::of(args.format), out),
    }
}

fn can_i(args: CanIArgs, out: &mut Output) -> u8 {
    if args.list {
        return can_i_list(args, out);
    }
    let errors = ErrorFormat::of(args.format);
    let api = args.api.map(|api| can_i::ApiQuery {
        api,
        params: args.params,
        region: args.region.unwrap_or_default(),
        account: args.account,
    });
    let (store, store_origin) = can_i::store_location(args.store);
    let query = can_i::Query {
        action: args.action.unwrap_or_default(),
        resource: args.resource.unwrap_or_default(),
        api,
        principal: args.principal,
        store,
        store_origin,
        policies: args.policies,
        session_policy: args.session_policy,
        control_policies: args.control_policies,
        resource_policy: args.resource_policy,
        context: args.context,
        session_name: args.session_name,
    };
    if let Some(batch) = args.batch {
        return can_i_batch(&query, &batch, errors, out);
    }
    match can_i::answer(&query) {
        Ok(answer) if args.strict && !answer.warnings.is_empty() => {
            for w in &answer.warnings {
                out.note(&format!("error: {} (--strict)", w.message));
            }
            exit::ERROR
        }
        Ok(answer) => {
            if !args.quiet {
                for w in &answer.warnings {
                    out.note(&format!("warning: {}", w.message));
                }
            }
            match (args.quiet, args.format) {
                (true, _) => {}
                (false, Format::Text) => out.stdout(&answer.to_text(args.explain)),
                (false, Format::Json) => out.stdout(&format!("{:#}\n", answer.to_json())),
            }
            if answer.allowed() {
                exit::OK
            } else {
                exit::NEGATIVE
            }
        }
        Err(e) => out.fail(&e, errors),
    }
}

fn can_i_batch(
    query: &can_i::Query,
    batch: &std::path::Path,
    errors: ErrorFormat,
    out: &mut Output,
) -> u8 {
    use can_i::batch;
    let asker = match can_i::Asker::new(query, query.principal.is_some()) {
        Ok(asker) => asker,
        Err(e) => return out.fail(&e, errors),
    };
    let mut reader = match ramcheck::input::open_lines(batch) {
        Ok(reader) => reader,
        Err(e) => return out.fail(&e, errors),
    };
    let defaults = batch::Defaults {
        principal: query.principal.clone(),
        context: query.context.clone(),
    };
    let source = ramcheck::input::display_name(batch);
    let stdout = std::io::stdout();
    let result = batch::run(&asker, &defaults, &source, &mut reader, &mut stdout.lock());
    match result {
        Ok(summary) => summary.exit_code(),
        Err(batch::BatchError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => out.fail(&e, errors),
    }
}
