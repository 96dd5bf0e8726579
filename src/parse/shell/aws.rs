//! AWS CLI command lines (`aws ec2 create-traffic-mirror-session …`): which traffic mirror
//! operation a command runs, and its options as the AWS CLI reads them (`--name value`,
//! `--name=value`, global options anywhere, list options taking every word up to the next
//! option), and the shorthand syntax of its structure values (`FromPort=80,ToPort=443`).

use super::scan::{Command, Word};
use super::vars::{Item, Variables};
use crate::model::{Alt, Loc};

/// The traffic mirror operations whose command lines declare something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    CreateSession,
    /// A partial session: it changes only what it names.
    ModifySession,
    CreateTarget,
    CreateFilter,
    CreateFilterRule,
    /// Adds or removes a filter's network services.
    ModifyFilterNetworkServices,
}

impl Operation {
    const ALL: [Self; 6] = [
        Self::CreateSession,
        Self::ModifySession,
        Self::CreateTarget,
        Self::CreateFilter,
        Self::CreateFilterRule,
        Self::ModifyFilterNetworkServices,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::CreateSession => "create-traffic-mirror-session",
            Self::ModifySession => "modify-traffic-mirror-session",
            Self::CreateTarget => "create-traffic-mirror-target",
            Self::CreateFilter => "create-traffic-mirror-filter",
            Self::CreateFilterRule => "create-traffic-mirror-filter-rule",
            Self::ModifyFilterNetworkServices => "modify-traffic-mirror-filter-network-services",
        }
    }

    /// Whether it creates something other commands can name by the id it prints.
    pub(crate) fn creates(self) -> bool {
        !matches!(
            self,
            Self::ModifySession | Self::ModifyFilterNetworkServices
        )
    }
}

/// Options of the `aws` command itself that take a value.
const GLOBAL_WITH_VALUE: &[&str] = &[
    "--region",
    "--profile",
    "--output",
    "--query",
    "--endpoint-url",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

/// Options that take no value.
const FLAGS: &[&str] = &[
    "--debug",
    "--no-verify-ssl",
    "--no-paginate",
    "--no-sign-request",
    "--no-cli-pager",
    "--cli-auto-prompt",
    "--no-cli-auto-prompt",
    "--dry-run",
    "--no-dry-run",
];

/// Options whose value is a list: every word up to the next option.
const LISTS: &[&str] = &[
    "--tag-specifications",
    "--remove-fields",
    "--add-network-services",
    "--remove-network-services",
];

/// Commands that print their arguments rather than run them.
const PRINTERS: &[&str] = &["echo", "printf", "print", "cat", "logger"];

/// Commands that run the command after them.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "command", "exec", "nohup", "time", "timeout", "xargs", "nice", "stdbuf",
];

/// An option as written: its name, and its value words (`--name=value` gives one word
/// whose value starts after the `=`: `skip` bytes).
pub(crate) struct Opt<'a> {
    pub(crate) name: &'a Word,
    pub(crate) values: Vec<(&'a Word, usize)>,
}

impl Opt<'_> {
    /// The option's name without a value written into it (`--packet-length` of
    /// `--packet-length=9000`).
    pub(crate) fn key(&self) -> &str {
        self.name.text.split('=').next().unwrap_or("")
    }
}

/// A traffic mirror command line: its operation, the word naming it, its options.
pub(crate) struct Call<'a> {
    pub(crate) operation: Operation,
    pub(crate) op: &'a Word,
    pub(crate) options: Vec<Opt<'a>>,
}

impl Call<'_> {
    /// The last occurrence of an option (the CLI keeps the last).
    pub(crate) fn option(&self, name: &str) -> Option<&Opt<'_>> {
        self.options.iter().rev().find(|o| o.key() == name)
    }

    /// The value of an option: what its word says (see [`Variables::value`]); when the
    /// command line leaves it out but takes an input file or the prompt, unknown.
    pub(crate) fn field(&self, name: &str, vars: &Variables, items: &[Item<'_>]) -> Vec<Alt> {
        let loc = |span| Loc { file: 0, span };
        match self.option(name) {
            Some(o) => match o.values.first() {
                Some((w, skip)) => vec![vars.value(w, *skip, items)],
                None => vec![Alt::unknown(
                    loc(o.name.span),
                    format!("{name} is given no value"),
                )],
            },
            None => self
                .input()
                .map(|f| {
                    vec![Alt::unknown(
                        loc(f.name.span),
                        format!("given by {}", f.key()),
                    )]
                })
                .unwrap_or_default(),
        }
    }

    /// The option that may give what the command line leaves out: an input file or the prompt.
    fn input(&self) -> Option<&Opt<'_>> {
        self.options.iter().find(|o| {
            matches!(
                o.key(),
                "--cli-input-json" | "--cli-input-yaml" | "--cli-auto-prompt"
            )
        })
    }
}

/// The traffic mirror operation a command runs, when it runs one.
pub(crate) fn call(command: &Command) -> Option<Call<'_>> {
    // The AWS CLI run directly or by another command (`sudo`, `env A=b`, `timeout 60`,
    // `xargs -I{}`), never one printed (`echo aws …`).
    let mut words = command.words.iter().skip_while(|w| w.is_assignment());
    if words
        .clone()
        .next()
        .is_some_and(|w| PRINTERS.contains(&w.text.as_str()))
    {
        return None;
    }
    let is_cli = |w: &Word| {
        w.dynamic.is_none()
            && ["aws", "awslocal"]
                .iter()
                .any(|p| w.text == *p || w.text.strip_suffix(p).is_some_and(|d| d.ends_with('/')))
    };
    // `aws` first, or after commands that run the command after them and their options
    // (`sudo -E`, `env A=b`, `timeout 60`, `xargs -n1 -I{}`); any other first word is another
    // program, whose arguments may merely mention `aws` (`log Running aws ec2 …`).
    let mut wrapped = false;
    loop {
        let w = words.next()?;
        if is_cli(w) {
            break;
        }
        let option_like = w.text.starts_with('-')
            || w.is_assignment()
            || w.text == "{}"
            || w.text
                .trim_end_matches(['s', 'm', 'h'])
                .parse::<f64>()
                .is_ok();
        if w.dynamic.is_none() && WRAPPERS.contains(&w.text.as_str()) {
            wrapped = true;
        } else if !(wrapped && option_like) {
            return None;
        }
    }
    let rest: Vec<&Word> = words.collect();
    let mut i = 0;
    let mut positional = Vec::new();
    let mut options: Vec<Opt<'_>> = Vec::new();
    while let Some(w) = rest.get(i) {
        i += 1;
        let Some(name) = w
            .text
            .strip_prefix("--")
            .filter(|_| w.dynamic.is_none() || w.text.contains('='))
        else {
            positional.push(*w);
            continue;
        };
        if let Some(eq) = name.find('=') {
            options.push(Opt {
                name: w,
                values: vec![(w, eq + 3)],
            });
            continue;
        }
        let full = w.text.as_str();
        let takes = |n: &Word| !n.text.starts_with("--");
        let mut values = Vec::new();
        if FLAGS.contains(&full) {
        } else if full == "--generate-cli-skeleton" {
            // It prints a skeleton and creates nothing.
            return None;
        } else if LISTS.contains(&full) {
            while let Some(v) = rest.get(i).filter(|v| takes(v)) {
                values.push((*v, 0));
                i += 1;
            }
        } else if let Some(v) = rest
            .get(i)
            .filter(|v| takes(v) || GLOBAL_WITH_VALUE.contains(&full))
        {
            values.push((*v, 0));
            i += 1;
        }
        options.push(Opt { name: w, values });
    }
    let [service, op, more @ ..] = positional.as_slice() else {
        return None;
    };
    // `aws ec2 create-traffic-mirror-session help` prints the manual.
    if more.first().is_some_and(|w| w.text == "help") {
        return None;
    }
    if service.dynamic.is_some() || service.text != "ec2" || op.dynamic.is_some() {
        return None;
    }
    let operation = Operation::ALL.into_iter().find(|o| o.name() == op.text)?;
    Some(Call {
        operation,
        op,
        options,
    })
}

/// The CLI's shorthand syntax for structures (`FromPort=80,ToPort=443`,
/// `ResourceType=…,Tags=[{Key=a,Value=b}]`): the byte range of `name=VALUE` among the
/// top-level comma-separated members of `text`.
pub(crate) fn shorthand_member(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for part in split_top(text, ',') {
        let at = offset;
        offset += part.len() + 1;
        let lead = part.len() - part.trim_start().len();
        if let Some(v) = part
            .trim_start()
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
        {
            let start = at + lead + name.len() + 1;
            return Some((start, start + v.trim_end().len()));
        }
    }
    None
}

/// `text` cut at each `sep` outside brackets and braces.
pub(crate) fn split_top(text: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut level = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '[' | '{' => level += 1,
            ']' | '}' => level -= 1,
            c if c == sep && level == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}
