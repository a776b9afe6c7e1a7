//! Staff accounts, sessions and the failed sign-ins counted per client and
//! account (`motcua_domain::signin`).

use super::*;

impl Store {
    pub async fn create_user(&self, u: &NewUser, now: OffsetDateTime) -> Result<i64> {
        let name_ok = (3..=64).contains(&u.username.len())
            && u.username.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-'
            });
        if !name_ok {
            return Err(Problem::invalid(
                "bad_username",
                "username",
                "Tên đăng nhập: 3–64 ký tự a-z, 0-9, '.', '_', '-'",
            )
            .into());
        }
        if u.roles.is_empty() {
            return Err(Problem::invalid("no_role", "roles", "Cần ít nhất một vai trò").into());
        }
        for unit in &u.units {
            self.require_unit(unit).await?;
        }
        if let Some(p) = &u.province_code
            && !self.provinces().await?.iter().any(|x| &x.code == p)
        {
            return Err(Problem::invalid(
                "unknown_province",
                "province",
                format!("Không có tỉnh mã \"{p}\""),
            )
            .into());
        }
        let unit_scoped = u
            .roles
            .iter()
            .any(|r| !matches!(r, Role::Admin | Role::ProvinceSupervisor));
        if unit_scoped && u.units.is_empty() && u.province_code.is_none() {
            return Err(
                Problem::invalid("no_unit", "units", "Vai trò này cần ít nhất một đơn vị").into(),
            );
        }
        on_db!(self, create_user(u, model::to_ms(now)))
    }

    /// Until when (UTC ms) `client` must wait before trying `username` again; 0 when it need not.
    pub async fn sign_in_blocked_until(
        &self,
        client: &str,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let account = motcua_domain::signin::account_key(username);
        on_db!(
            self,
            sign_in_blocked_until(client, &account, model::to_ms(now))
        )
    }

    /// Record a sign-in attempt's outcome for (client, account), known or not:
    /// a failure counts and may make the client wait; a success forgets.
    /// Returns until when the client must now wait (0 after a success).
    pub async fn record_sign_in(
        &self,
        client: &str,
        username: &str,
        success: bool,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let account = motcua_domain::signin::account_key(username);
        if success {
            on_db!(self, clear_sign_in_failures(Some(client), &account))?;
            Ok(0)
        } else {
            Ok(on_db!(self, sign_in_failed(client, &account, model::to_ms(now)))?.blocked_until)
        }
    }

    /// Clear every client's failures on `username` (an administrator's act).
    pub async fn clear_sign_in_failures(&self, username: &str) -> Result<u64> {
        let account = motcua_domain::signin::account_key(username);
        on_db!(self, clear_sign_in_failures(None, &account))
    }

    /// Clients with remembered failures on `username`: (client, count, blocked until ms).
    pub async fn sign_in_failures(
        &self,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, i64, i64)>> {
        let account = motcua_domain::signin::account_key(username);
        on_db!(self, sign_in_failures(&account, model::to_ms(now)))
    }

    /// Forget failure counts whose time has passed.
    pub async fn purge_sign_in_failures(&self, now: OffsetDateTime) -> Result<u64> {
        on_db!(self, purge_sign_in_failures(model::to_ms(now)))
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        on_db!(self, user_by_username(username))
    }
    /// Give every account whose name starts with `prefix` this password hash
    /// (generated benchmark accounts get a fresh password at each run).
    pub async fn set_password_hash_of_prefix(&self, prefix: &str, hash: &str) -> Result<u64> {
        on_db!(self, set_password_hash_of_prefix(prefix, hash))
    }

    /// Accounts whose names do not start with `prefix`.
    pub async fn count_users_besides_prefix(&self, prefix: &str) -> Result<i64> {
        on_db!(self, count_users_besides_prefix(prefix))
    }

    /// Active staff who work for `unit` (to choose whom to assign a dossier).
    pub async fn users_of_unit(&self, unit: &str) -> Result<Vec<User>> {
        on_db!(self, users_of_unit(unit))
    }
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<()> {
        let now_ms = model::to_ms(now);
        on_db!(
            self,
            create_session(token_hash, user_id, now_ms, now_ms + ttl.as_millis() as i64)
        )
    }
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<User>> {
        on_db!(self, session_user(token_hash, model::to_ms(now)))
    }
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_db!(self, delete_session(token_hash))
    }
}
