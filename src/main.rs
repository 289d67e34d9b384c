//! The `ramcheck` command line: argument parsing and exit statuses only;
//! the work is done by the library.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use ramcheck::can_i;
use ramcheck::generate;
use ramcheck::lint;
use ramcheck::policy::PolicyKind;
use ramcheck::terminal;

/// Strict checks for Alibaba Cloud RAM policies.
#[derive(Parser)]
#[command(name = "ramcheck", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Write a least-privilege policy from intents or ActionTrail events, proven before it is printed.
    ///
    /// Exit status: 0 the policy was written; 2 bad input (unknown action,
    /// resource that does not fit it, unreadable file, nothing to grant);
    /// 3 internal error: the generated policy failed its own check and was
    /// not printed.
    ///
    /// Examples:
    ///
    ///   ramcheck generate --request "imm:AttachOSSBucket acs:imm:cn-hangzhou:1234567890123456:project/immtest"
    ///
    ///   ramcheck generate --from intents.jsonl --require acs:SourceIp=192.0.2.0/24 --expires 2026-12-31T00:00:00Z
    ///
    ///   ramcheck generate --from actiontrail-events.json --principal role/media-worker \
    ///       --since 2025-01-01T00:00:00Z --explain --output media-worker.json
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
    /// Principal store: principals.json and <PolicyName>.json files.
    #[arg(long, value_name = "DIR", default_value = "./policies")]
    store: PathBuf,
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
struct GenerateArgs {
    /// An action and the resource it needs, as "<ACTION> <RESOURCE>"; repeatable.
    #[arg(long = "request", value_name = "ACTION RESOURCE")]
    requests: Vec<String>,
    /// Intents (JSON lines {"action", "resource", "context"?}) or ActionTrail events
    /// (a JSON array, JSON lines, or SLS rows with an `event` field); repeatable.
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
}

#[derive(Clone, Copy, ValueEnum)]
enum CollapseArg {
    Actions,
    Resources,
}

#[derive(clap::Args)]
struct LintArgs {
    /// Policy files, directories (walked for *.json) or glob patterns.
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
    /// Do not report this rule code; repeatable.
    #[arg(long = "ignore", value_name = "CODE")]
    ignore: Vec<String>,
    /// Configuration file (default: ./ramcheck.toml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Lint the RAM policies of a Terraform plan (`terraform show -json` output).
    #[arg(long, value_name = "FILE")]
    terraform_plan: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// A rule code (e.g. RC203) or name (e.g. unknown-action).
    code: Option<String>,
    /// Print every rule's documentation as Markdown (docs/lint-rules.md).
    #[arg(long, conflicts_with = "code")]
    markdown: bool,
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
    #[arg(required_unless_present = "api", conflicts_with = "api")]
    action: Option<String>,
    /// The resource ARN, e.g. acs:imm:cn-hangzhou:1234567890123456:project/immtest, or `*`.
    #[arg(required_unless_present = "api")]
    resource: Option<String>,
    /// Check an IMM API call instead: its RAM action and resource come from the catalogue.
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
    /// work too), or service/<name>.aliyuncs.com.
    #[arg(long = "as", value_name = "PRINCIPAL")]
    principal: Option<String>,
    /// Ask as a session of the role given with --as (assumed-role/<role>/<session>).
    #[arg(long, value_name = "NAME", requires = "principal")]
    session_name: Option<String>,
    /// Principal store: principals.json and <PolicyName>.json files. Read only with --as.
    #[arg(long, value_name = "DIR", default_value = "./policies")]
    store: PathBuf,
    /// Identity policy for an ad-hoc principal; repeatable. Without --as these are the principal's only policies.
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = Output::default();
    let code = match cli.command {
        Command::CanI(args) => can_i(*args, &mut out),
        Command::Lint(args) => run_lint(args, &mut out),
        Command::Rules(args) => rules(args, &mut out),
        Command::Generate(args) => run_generate(*args, &mut out),
        Command::Catalog(args) => catalog(args, &mut out),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve(args, &mut out),
    };
    out.exit(code)
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

    fn error(&mut self, error: &dyn std::fmt::Display) -> u8 {
        self.note(&format!("error: {error}"));
        EXIT_ERROR
    }

    fn exit(self, code: u8) -> ExitCode {
        ExitCode::from(if self.failed { EXIT_ERROR } else { code })
    }
}

fn run_generate(args: GenerateArgs, out: &mut Output) -> u8 {
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
    };
    let generated = match generate::generate(&options) {
        Ok(g) => g,
        Err(e) => {
            out.note(&format!("error: {e}"));
            return e.exit_code();
        }
    };
    for line in generated.notes.iter().flat_map(|n| n.lines()) {
        out.note(line);
    }
    if args.explain {
        let explanation = terminal::escape_lines(&generated.explanation).into_owned();
        out.write(std::io::stderr().lock(), &explanation);
    }
    match &args.output {
        Some(path) => match generated.write(path) {
            Ok(paths) => {
                for p in paths {
                    out.note(&format!("wrote {}", p.display()));
                }
            }
            Err(e) => {
                out.note(&format!("error: {e}"));
                return e.exit_code();
            }
        },
        None => out.stdout(&generated.stdout_text()),
    }
    0
}

fn run_lint(args: LintArgs, out: &mut Output) -> u8 {
    use lint::Severity;
    let invocation = lint::Invocation {
        paths: args.paths,
        kind: args.kind,
        ignore: args.ignore,
        config: args.config,
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
    let format = match args.format {
        LintFormat::Text => lint::render::Format::Text,
        LintFormat::Json => lint::render::Format::Json,
        LintFormat::Sarif => lint::render::Format::Sarif,
        LintFormat::Github => lint::render::Format::Github,
    };
    match lint::run(&invocation) {
        Ok(report) => {
            let color = format == lint::render::Format::Text && lint::render::stdout_color();
            out.stdout(&lint::render::render(&report, format, color));
            if report.fails(threshold) { 1 } else { 0 }
        }
        Err(e) => out.error(&e),
    }
}

fn rules(args: RulesArgs, out: &mut Output) -> u8 {
    if args.markdown {
        out.stdout(&lint::render::rules_markdown());
        return 0;
    }
    match args.code {
        None => {
            out.stdout(&lint::render::rules_list());
            0
        }
        Some(code) => match lint::rule(&code) {
            Some(meta) => {
                out.stdout(&lint::render::rule_doc(meta));
                0
            }
            None => out.error(&format!("unknown rule {code:?} (see `ramcheck rules`)")),
        },
    }
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
        Err(e) => out.error(&e.to_string()),
    }
}

#[cfg(feature = "serve")]
fn serve(args: ServeArgs, out: &mut Output) -> u8 {
    use ramcheck::serve::{LogContext, LogTarget, Options, run};
    let options = Options {
        store: args.store,
        listen: args.listen,
        decision_log: args.decision_log.as_deref().map(LogTarget::from_arg),
        log_context: LogContext::from_name(&args.log_context).unwrap_or_default(),
        ..Options::default()
    };
    match run(&options) {
        Ok(()) => 0,
        Err(e) => out.error(&e),
    }
}

fn can_i(args: CanIArgs, out: &mut Output) -> u8 {
    let api = args.api.map(|api| can_i::ApiQuery {
        api,
        params: args.params,
        region: args.region.unwrap_or_default(),
        account: args.account,
    });
    let query = can_i::Query {
        action: args.action.unwrap_or_default(),
        resource: args.resource.unwrap_or_default(),
        api,
        principal: args.principal,
        store: args.store,
        policies: args.policies,
        session_policy: args.session_policy,
        control_policies: args.control_policies,
        resource_policy: args.resource_policy,
        context: args.context,
        session_name: args.session_name,
    };
    match can_i::answer(&query) {
        Ok(answer) if args.strict && !answer.warnings.is_empty() => {
            for w in &answer.warnings {
                out.note(&format!("error: {} (--strict)", w.message));
            }
            EXIT_ERROR
        }
        Ok(answer) => {
            for w in &answer.warnings {
                out.note(&format!("warning: {}", w.message));
            }
            match args.format {
                Format::Text => out.stdout(&answer.to_text(args.explain)),
                Format::Json => out.stdout(&format!("{:#}\n", answer.to_json())),
            }
            if answer.allowed() { 0 } else { 1 }
        }
        Err(e) => out.error(&e),
    }
}
