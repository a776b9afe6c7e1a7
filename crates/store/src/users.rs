//! Staff accounts, sessions and the failed sign-ins counted per client and
//! account (`motcua_domain::signin`).

use super::*;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    full_name: String,
    password_hash: String,
    roles: String,
    province_code: Option<String>,
    active: bool,
}

macro_rules! users_sql {
    ($db:ty) => {
        use super::*;
        use sqlx::Pool;

        type Db = $db;

        async fn user_from_row(conn: &Pool<Db>, r: UserRow) -> Result<User> {
            let units: Vec<String> = if let Some(p) = &r.province_code {
                sqlx::query_scalar("SELECT code FROM units WHERE province_code = $1 ORDER BY code")
                    .bind(p)
                    .fetch_all(conn)
                    .await?
            } else {
                sqlx::query_scalar("SELECT unit_code FROM user_units WHERE user_id = $1 ORDER BY unit_code")
                    .bind(r.id)
                    .fetch_all(conn)
                    .await?
            };
            let roles = r.roles.split(',').filter(|s| !s.is_empty()).map(str::parse).collect::<Result<Vec<_>, _>>()?;
            Ok(User {
                id: r.id,
                username: r.username,
                full_name: r.full_name,
                roles,
                units,
                province_code: r.province_code,
                password_hash: r.password_hash,
                active: r.active,
            })
        }

        impl crate::Sql<Db> {
            pub async fn create_user(&self, u: &NewUser, now: i64) -> Result<i64> {
                let mut tx = self.write.begin().await?;
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (username, full_name, password_hash, roles, province_code, active, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO UPDATE SET full_name = excluded.full_name, \
                     password_hash = excluded.password_hash, roles = excluded.roles, province_code = excluded.province_code, \
                     active = excluded.active RETURNING id",
                )
                .bind(&u.username)
                .bind(&u.full_name)
                .bind(&u.password_hash)
                .bind(roles.join(","))
                .bind(&u.province_code)
                .bind(true)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM user_units WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
                for unit in &u.units {
                    sqlx::query("INSERT INTO user_units (user_id, unit_code) VALUES ($1, $2)")
                        .bind(id)
                        .bind(unit)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(
                    "SELECT id, username, full_name, password_hash, roles, province_code, active FROM users WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(&self.read)
                .await?;
                match row {
                    Some(r) => Ok(Some(user_from_row(&self.read, r).await?)),
                    None => Ok(None),
                }
            }

            pub async fn set_password_hash_of_prefix(&self, prefix: &str, hash: &str) -> Result<u64> {
                Ok(sqlx::query("UPDATE users SET password_hash = $1 WHERE username LIKE $2")
                    .bind(hash)
                    .bind(format!("{prefix}%"))
                    .execute(&self.write)
                    .await?
                    .rows_affected())
            }

            pub async fn count_users_besides_prefix(&self, prefix: &str) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username NOT LIKE $1")
                    .bind(format!("{prefix}%"))
                    .fetch_one(&self.read)
                    .await?)
            }

            pub async fn users_of_unit(&self, unit: &str) -> Result<Vec<User>> {
                let rows: Vec<UserRow> = sqlx::query_as(
                    "SELECT u.id, u.username, u.full_name, u.password_hash, u.roles, u.province_code, u.active \
                     FROM users u JOIN user_units uu ON uu.user_id = u.id WHERE uu.unit_code = $1 AND u.active = TRUE \
                     ORDER BY u.username",
                )
                .bind(unit)
                .fetch_all(&self.read)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(user_from_row(&self.read, r).await?);
                }
                Ok(out)
            }

            /// Count a failed sign-in; lock the account once `max` is reached.
            /// Until when (UTC ms) `client` must wait before trying `account` again.
            pub async fn sign_in_blocked_until(&self, client: &str, account: &str, now: i64) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT blocked_until FROM sign_in_failures WHERE client = $1 AND account = $2 AND expires_at > $3",
                )
                .bind(client)
                .bind(account)
                .bind(now)
                .fetch_optional(&self.read)
                .await?
                .unwrap_or(0))
            }

            /// Count one more failure of `client` on `account`; the new state.
            pub async fn sign_in_failed(&self, client: &str, account: &str, now: i64) -> Result<motcua_domain::signin::Failures> {
                let mut tx = self.write.begin().await?;
                let previous: Option<i64> = sqlx::query_scalar(
                    "SELECT failures FROM sign_in_failures WHERE client = $1 AND account = $2 AND expires_at > $3",
                )
                .bind(client)
                .bind(account)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let f = motcua_domain::signin::after_failure(
                    previous.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                    now,
                );
                sqlx::query(
                    "INSERT INTO sign_in_failures (client, account, failures, blocked_until, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client, account) DO UPDATE SET \
                     failures = excluded.failures, blocked_until = excluded.blocked_until, expires_at = excluded.expires_at",
                )
                .bind(client)
                .bind(account)
                .bind(i64::from(f.count))
                .bind(f.blocked_until)
                .bind(f.expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(f)
            }

            /// Forget the failures of one client (`Some`) or of every client (`None`) on `account`.
            pub async fn clear_sign_in_failures(&self, client: Option<&str>, account: &str) -> Result<u64> {
                let done = match client {
                    Some(c) => sqlx::query("DELETE FROM sign_in_failures WHERE client = $1 AND account = $2")
                        .bind(c)
                        .bind(account)
                        .execute(&self.write)
                        .await?,
                    None => sqlx::query("DELETE FROM sign_in_failures WHERE account = $1")
                        .bind(account)
                        .execute(&self.write)
                        .await?,
                };
                Ok(done.rows_affected())
            }

            /// The remembered failures on `account`: (client, count, blocked until).
            pub async fn sign_in_failures(&self, account: &str, now: i64) -> Result<Vec<(String, i64, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT client, failures, blocked_until FROM sign_in_failures \
                     WHERE account = $1 AND expires_at > $2 ORDER BY blocked_until DESC, client",
                )
                .bind(account)
                .bind(now)
                .fetch_all(&self.read)
                .await?)
            }

            pub async fn purge_sign_in_failures(&self, now: i64) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM sign_in_failures WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.write)
                    .await?
                    .rows_affected())
            }

            pub async fn create_session(&self, token_hash: &str, user_id: i64, now: i64, expires: i64) -> Result<()> {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(now)
                    .bind(expires)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(
                    "SELECT u.id, u.username, u.full_name, u.password_hash, u.roles, u.province_code, u.active \
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.read)
                .await?;
                match row {
                    Some(r) if r.active => Ok(Some(user_from_row(&self.read, r).await?)),
                    _ => Ok(None),
                }
            }

            pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.write).await?;
                Ok(())
            }
        }
    };
}

mod sqlite {
    users_sql!(sqlx::Sqlite);
}
mod postgres {
    users_sql!(sqlx::Postgres);
}

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
