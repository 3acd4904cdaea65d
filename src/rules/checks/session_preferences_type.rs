//! `session-preferences-type`: The Session Manager preferences are a Session document
//! (`rules/session-preferences-type.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

const NAME: &str = "SSM-SessionManagerRunShell";

/// A plain shell runs the region's preferences document, which must be of type `Session` with the session type
/// `Standard_Stream` (AWS's preferences and session-document schema pages).
pub fn check(c: &Check) -> Verdict {
    let prefs = c
        .facts
        .session_preferences
        .need("the Session Manager preferences")?;
    if !prefs.document_exists {
        return Ok(Outcome::pass(format!(
            "no {NAME} in this region: Session Manager uses its default preferences"
        )));
    }
    let Some(kind) = prefs.document_type.as_deref() else {
        return Err(Outcome::unknown(format!(
            "the type of {NAME} is not in these facts (gathered by an older ssm-check): gather them again"
        ))
        .needs("ssm:GetDocument"));
    };
    let session = prefs.session_type.as_deref();
    let evidence = format!(
        "{NAME}: document type {kind}, sessionType {}",
        session.unwrap_or("(none)")
    );
    let remedy = "Save the preferences again in the console (Session Manager → Preferences → Edit), or recreate the document as a Session document:\naws ssm delete-document --name SSM-SessionManagerRunShell\naws ssm create-document --name SSM-SessionManagerRunShell --document-type Session --document-format JSON --content file://SessionManagerRunShell.json";
    let out = if kind != "Session" {
        Outcome::fail(format!(
            "{NAME} is a {kind} document, not a Session document: plain shell sessions run it as their session document"
        ))
        .remedy(remedy)
        .note(UNVERIFIED)
    } else if session != Some("Standard_Stream") {
        Outcome::fail(format!(
            "{NAME} has the session type {}, not Standard_Stream, which preferences documents must have",
            session.unwrap_or("(none)")
        ))
        .remedy(format!("{remedy}\n(with \"sessionType\": \"Standard_Stream\" in the content)"))
        .note(UNVERIFIED)
    } else {
        Outcome::pass(format!(
            "{NAME} is a Session document of type Standard_Stream"
        ))
    };
    Ok(out.evidence(evidence))
}

const UNVERIFIED: &str = "StartSession's exact error for a preferences document of the wrong type is not verified; InvalidDocument is what it returns for a document it cannot use.";
