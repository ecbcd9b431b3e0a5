//! What replay asks of the decision log besides the export's pages.

use sqlx::Row;

use super::db::Db;

impl Db {
    /// How many decisions were made in [`since`, `until`) (µs): the length
    /// of a replay's progress bar before its filters thin it.
    pub async fn count_between(
        &self,
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM decisions WHERE \
             ($1 IS NULL OR decided_at >= $1) AND ($2 IS NULL OR decided_at < $2)",
        )
        .bind(since)
        .bind(until)
        .fetch_one(&self.pool)
        .await?;
        row.try_get(0)
    }
}
