//! The rows read and named: `src` (each row's JSON read once), `stats`, the exposures
//! (`named`, `kept`, `exposures`, `firsts`) and the metric events with their copies ranked
//! (`tracked`).

use super::super::layout::{Layout, TimeKind};
use super::{Binder, Gen};
use crate::domain::attribution::NEW_VS_RETURNING;

impl Gen<'_> {
    pub(super) fn rows(&mut self, layout: &Layout, time_kind: TimeKind, scan: Option<(i64, i64)>) {
        let Gen {
            d,
            b,
            config,
            sql,
            values,
            any_activity,
            exposure,
            tracked_p,
            dedupe_p,
            segment_exprs,
            wanted,
            ..
        } = self;
        let c = &layout.columns;
        let (ev_col, time_col, user_col, iid_col, props_col) = (
            d.quote(&c.event),
            d.quote(&c.time),
            d.quote(&c.distinct_id),
            d.quote(&c.insert_id),
            d.quote(&c.properties),
        );
        let seconds = d.seconds(&time_col, time_kind);
        // What each row needs from its JSON, read once in `src` (which PostgreSQL materializes, as
        // several steps read it): the exposure's names and segments, a metric event's processing
        // time and amounts. The JSON itself never leaves `src`, so the materialized rows stay narrow.
        let text_of = |b: &mut Binder, key: &str| {
            let key = b.text(key);
            format!(
                "CASE WHEN {} IN ('string', 'number', 'boolean') THEN {} END",
                d.json_type("p", &key),
                d.json_text("p", &key)
            )
        };
        let mut read = vec![
            format!(
                "CASE WHEN ev = {exposure} THEN {} END AS x_name",
                text_of(&mut *b, config.convention.experiment_property())
            ),
            format!(
                "CASE WHEN ev = {exposure} THEN {} END AS x_arm",
                text_of(&mut *b, config.convention.variant_property())
            ),
        ];
        let (experiment, flag) = match config.convention.experiment_key_property() {
            Some(key) => {
                let key = b.text(key);
                read.push(format!(
                    "CASE WHEN ev = {exposure} AND {} = 'string' THEN {} END AS x_key",
                    d.json_type("p", &key),
                    d.json_text("p", &key)
                ));
                (
                    "COALESCE(NULLIF(x_key, ''), flag_or_name)".to_owned(),
                    "flag_or_name".to_owned(),
                )
            }
            None => ("flag_or_name".to_owned(), "CAST(NULL AS text)".to_owned()),
        };
        // Per segment: its column, or None for the derived new vs returning.
        *segment_exprs = config
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (s != NEW_VS_RETURNING).then(|| {
                    let key = b.text(s);
                    read.push(format!(
                        "CASE WHEN ev = {exposure} THEN CASE WHEN {} IN ('string', 'number', 'boolean') THEN {} ELSE '(none)' END END AS x_s{i}",
                        d.json_type("p", &key),
                        d.json_text("p", &key)
                    ));
                    format!("x_s{i}")
                })
            })
            .collect();
        let processed_key = b.text("mp_processing_time_ms");
        read.push(format!(
            "CASE WHEN {} AND {} = 'number' THEN floor({}) END AS processed",
            d.any_of("ev", dedupe_p),
            d.json_type("p", &processed_key),
            d.json_number("p", &processed_key)
        ));
        for (j, value) in values.iter().enumerate() {
            let event = b.text(value.event());
            let amount = if value.is_count() {
                "1".to_owned()
            } else {
                let key = b.text(value.property());
                format!(
                    "CASE WHEN {} = 'number' THEN {} ELSE 0 END",
                    d.json_type("p", &key),
                    d.json_number("p", &key)
                )
            };
            read.push(format!(
                "CASE WHEN ev = {event} THEN CAST({amount} AS numeric) END AS a{j}"
            ));
        }

        // `src`: the rows read.
        let mut src_where =
            format!("{ev_col} IS NOT NULL AND {time_col} IS NOT NULL AND {user_col} IS NOT NULL");
        if !*any_activity {
            // Anonymous rows of any event are read too: the report counts them.
            src_where.push_str(&format!(
                " AND ({ev_col} = {exposure} OR {} OR {user_col} = '')",
                d.any_of(&ev_col, tracked_p)
            ));
        }
        if let Some((start, end)) = scan {
            let (start, end) = (b.int(start), b.int(end));
            src_where.push_str(&format!(
                " AND {} AND {}",
                d.time_at_least(&time_col, time_kind, &start),
                d.time_before(&time_col, time_kind, &end)
            ));
        }
        *sql = format!(
            "WITH src AS (\n  SELECT ev, t, u, iid,\n    {}\n  FROM (\n    SELECT {ev_col} AS ev, {seconds} AS t, {user_col} AS u, {iid_col} AS iid, {} AS p\n    FROM {}\n    WHERE {src_where}\n  ) raw\n),\n",
            read.join(",\n    "),
            d.properties(&props_col),
            d.table(&layout.table)
        );
        let relevant = format!("(ev = {exposure} OR {})", d.any_of("ev", tracked_p));
        sql.push_str(&format!(
            "stats AS (\n  SELECT COALESCE(sum(CASE WHEN u <> '' AND {relevant} THEN 1 ELSE 0 END), 0) AS events,\n    COALESCE(sum(CASE WHEN u = '' THEN 1 ELSE 0 END), 0) AS anonymous,\n    max(CASE WHEN u <> '' AND {relevant} THEN t END) AS latest\n  FROM src\n),\n"
        ));

        // Exposures, named by the convention, in the run's dates.
        let run = match config.run {
            Some(run) => {
                let (start, end) = run.bounds();
                let (start, end) = (b.int(start), b.int(end));
                format!(" AND t >= {start} AND t < {end}")
            }
            None => String::new(),
        };
        *wanted = if config.experiments.is_empty() {
            None
        } else {
            Some(b.texts(&config.experiments))
        };
        let carried: String = segment_exprs
            .iter()
            .flatten()
            .map(|column| format!(", {column}"))
            .collect();
        let key_column = if config.convention.experiment_key_property().is_some() {
            ", x_key"
        } else {
            ""
        };
        sql.push_str(&format!(
            "named AS (\n  SELECT u, t, x_name AS flag_or_name, x_arm AS arm{key_column}{carried}\n  FROM src WHERE ev = {exposure} AND u <> ''{run}\n),\n"
        ));
        sql.push_str(&format!(
            "kept AS (\n  SELECT u, t, arm, {experiment} AS experiment, {flag} AS flag{carried}\n  FROM named WHERE flag_or_name IS NOT NULL AND arm IS NOT NULL\n),\n"
        ));
        let exposures_where = match &wanted {
            Some(w) => format!(" WHERE {}", d.any_of("experiment", w)),
            None => String::new(),
        };
        sql.push_str(&format!(
            "exposures AS (SELECT * FROM kept{exposures_where}),\n"
        ));
        let seg_select: String = segment_exprs
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| format!(", {e} AS s{i}")))
            .collect();
        let seg_cols: String = segment_exprs
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|_| format!(", s{i}")))
            .collect();
        let partition = "PARTITION BY experiment, u";
        if seg_cols.is_empty() {
            // Nothing of the first exposure is needed but its time: one hash aggregate, no sort.
            sql.push_str(
                "firsts AS (\n  SELECT experiment, u, min(t) AS t0, min(arm) AS arm, min(arm) <> max(arm) AS multi\n  FROM exposures GROUP BY experiment, u\n),\n",
            );
        } else {
            sql.push_str(&format!(
                "firsts AS (\n  SELECT experiment, u, t0, arm, multi{seg_cols} FROM (\n    SELECT experiment, u, t AS t0, arm,\n      min(arm) OVER ({partition}) <> max(arm) OVER ({partition}) AS multi,\n      row_number() OVER ({partition} ORDER BY t) AS nth{seg_select}\n    FROM exposures\n  ) r WHERE nth = 1\n),\n"
            ));
        }

        // Metric events, copies ranked.
        let amounts: String = (0..values.len()).map(|j| format!(", a{j}")).collect();
        sql.push_str(&format!(
            "tracked AS (\n  SELECT u, ev, t,\n    CASE WHEN iid IS NULL OR NOT ({}) THEN 1\n      ELSE row_number() OVER (PARTITION BY u, ev, t, iid ORDER BY processed DESC NULLS LAST) END AS copy{amounts}\n  FROM src WHERE u <> '' AND {}\n),\n",
            d.any_of("ev", dedupe_p),
            d.any_of("ev", tracked_p)
        ));
    }
}
