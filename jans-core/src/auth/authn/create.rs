//! Account creation at sign-in (OpenID Connect Prompt Create 1.0): `prompt=create` sends the
//! browser to a sign-up step instead of the login form (unless `disablePromptCreate`); the
//! person chooses a username and password and gives their email and name, and is then
//! signed in and the request goes on (consent, the code). Janssen's `prompt=create`.

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{PASSWORD_ACR, Stage};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::user::User;
use crate::response::Response;
use crate::store::StoreError;

/// What a person gives to create their account.
#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    /// The login name.
    pub uid: String,
    /// Their email address.
    pub mail: String,
    /// Given name.
    pub given_name: String,
    /// Family name (optional).
    pub family_name: Option<String>,
    /// The password.
    pub password: String,
}

/// The result of a sign-up.
#[derive(Debug)]
pub enum CreateResult {
    /// Not created; the form may be shown again with this message.
    Refused(String),
    /// Created and signed in: follow this response (the request goes on).
    Done(Response),
}

impl AuthServer {
    /// Create the account of interaction `id` (at its `create` stage) and sign it in.
    /// Refusals (a username taken, a field not acceptable, a password too short or long)
    /// leave the interaction as it was, for the form to be sent again.
    pub async fn interaction_create(
        &self,
        id: &str,
        csrf: &str,
        account: NewAccount,
        ctx: &Ctx,
    ) -> Result<CreateResult, Error> {
        let i = self.take_form(id, csrf, Stage::Create, ctx).await?;
        let refuse = |why: &str| CreateResult::Refused(why.to_owned());
        let outcome = if account.given_name.trim().is_empty() || account.mail.trim().is_empty() {
            Ok(refuse("Enter your name and email address."))
        } else {
            let user = User {
                uid: account.uid.trim().to_owned(),
                mail: Some(account.mail.trim().to_owned()),
                given_name: Some(account.given_name.trim().to_owned()),
                family_name: account
                    .family_name
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty()),
                ..User::default()
            };
            match self.add_user(user, &account.password, ctx).await {
                Ok(user) => Err(user),
                Err(Error::User(e)) => Ok(refuse(&e.to_string())),
                Err(Error::Password(crate::password::PasswordError::Length)) => {
                    Ok(refuse(&crate::password::PasswordError::Length.to_string()))
                }
                Err(Error::Store(StoreError::Conflict)) => {
                    Ok(refuse("That username is taken. Choose another."))
                }
                Err(e) => {
                    self.put_interaction(&i, Some(id), ctx).await?;
                    return Err(e);
                }
            }
        };
        match outcome {
            Ok(refused) => {
                self.put_interaction(&i, Some(id), ctx).await?;
                Ok(refused)
            }
            Err(user) => {
                tracing::info!(request_id = %ctx.request_id, inum = %user.inum, "account created at sign-in");
                let mut request = i.request;
                request
                    .prompt
                    .retain(|p| *p != crate::auth::oauth::authorize::Prompt::Create);
                Ok(CreateResult::Done(
                    self.signed_in(
                        request,
                        i.return_to,
                        &user.inum,
                        PASSWORD_ACR,
                        vec!["pwd".to_owned()],
                        ctx,
                    )
                    .await?,
                ))
            }
        }
    }
}
