//! The `aws ssm start-session` command line that opens a mode's session: the document and its parameters, as
//! separate arguments for a program run without a shell (no string is ever interpreted).

use ssm_check::options::{Mode, Options};

/// Where the session goes beside the mode's own options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTarget<'a> {
    pub target: &'a str,
    /// Port forwarding: the port on this machine (the plugin picks a free one when absent).
    pub local_port: Option<u16>,
    pub profile: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// The arguments after `aws`.
pub fn start_session(to: &SessionTarget<'_>, options: &Options) -> Result<Vec<String>, String> {
    options.validate_for_session()?;
    let mut args: Vec<String> = ["ssm", "start-session", "--target", to.target]
        .map(String::from)
        .to_vec();
    let port = options.port_or_default().to_string();
    let mut parameters = serde_json::Map::new();
    let mut put = |k: &str, v: String| {
        parameters.insert(k.into(), serde_json::json!([v]));
    };
    match options.mode {
        Mode::Shell => {}
        Mode::Ssh => {
            // As AWS documents the ProxyCommand: `--parameters portNumber=%p`.
            args.extend([
                "--document-name".into(),
                Mode::Ssh.document().into(),
                "--parameters".into(),
                format!("portNumber={port}"),
            ]);
        }
        Mode::Port | Mode::RemotePort => {
            // Validated above: remote-port mode, and only it, has a host.
            if let Some(host) = &options.remote_host {
                put("host", host.clone());
            }
            put("portNumber", port);
            if let Some(local) = to.local_port {
                put("localPortNumber", local.to_string());
            }
            args.extend([
                "--document-name".into(),
                options.mode.document().into(),
                "--parameters".into(),
                serde_json::Value::Object(parameters).to_string(),
            ]);
        }
    }
    if let Some(p) = to.profile {
        args.extend(["--profile".into(), p.into()]);
    }
    if let Some(r) = to.region {
        args.extend(["--region".into(), r.into()]);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(target: &str) -> SessionTarget<'_> {
        SessionTarget {
            target,
            ..SessionTarget::default()
        }
    }

    #[test]
    fn each_mode_opens_its_document() {
        let id = "i-0123456789abcdef0";
        assert_eq!(
            start_session(&to(id), &Options::new(Mode::Shell)).unwrap(),
            ["ssm", "start-session", "--target", id]
        );
        let ssh = Options {
            port: Some(2222),
            ..Options::new(Mode::Ssh)
        };
        let with_profile = SessionTarget {
            profile: Some("prod"),
            region: Some("eu-west-1"),
            ..to(id)
        };
        assert_eq!(
            start_session(&with_profile, &ssh).unwrap().join(" "),
            format!("ssm start-session --target {id} --document-name AWS-StartSSHSession --parameters portNumber=2222 --profile prod --region eu-west-1")
        );
        let rdp = Options {
            port: Some(3389),
            ..Options::new(Mode::Port)
        };
        let local = SessionTarget {
            local_port: Some(13389),
            ..to(id)
        };
        let args = start_session(&local, &rdp).unwrap();
        assert_eq!(args[5], "AWS-StartPortForwardingSession");
        assert_eq!(
            args[7],
            r#"{"localPortNumber":["13389"],"portNumber":["3389"]}"#
        );
    }

    #[test]
    fn a_remote_host_is_one_argument_whatever_it_holds() {
        let db = Options {
            mode: Mode::RemotePort,
            port: Some(5432),
            remote_host: Some("db.internal,portNumber=22 \"x\"; rm -rf /".into()),
        };
        let args = start_session(&to("i-0123456789abcdef0"), &db).unwrap();
        let parameters: serde_json::Value = serde_json::from_str(&args[7]).unwrap();
        assert_eq!(
            parameters["host"][0],
            "db.internal,portNumber=22 \"x\"; rm -rf /"
        );
        assert_eq!(parameters["portNumber"][0], "5432");
        assert!(
            start_session(&to("i-0123456789abcdef0"), &Options::new(Mode::RemotePort)).is_err()
        );
    }
}
