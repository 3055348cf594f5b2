//! Rendered pages kept while nothing they show has changed, so twenty people opening the board
//! in the weekly review cost one render, not twenty.
//!
//! A page is kept per signed-in user (the navigation names them, and roles see different
//! buttons) and per path with its query, labelled with a [`Stamp`]: this process's write
//! generation (moved on by every request that may write, when it finishes, except readings,
//! which the database counts), the database counters the page follows ([`Follows`]: moved on
//! by triggers, so a pull finishing in the background or another process writing an experiment
//! is seen too), and the UTC day (pages hide results until a date and count days). A page is
//! served to a request when its render began after everything the request's stamp counts: same
//! database and day, generation and counters no older. Each page renders once at a time: a
//! request that finds a render under way waits for it and is served by it if it began late
//! enough, else renders next, for every request that queued meanwhile. So under a steady
//! stream of writes a page renders back to back at most, instead of once per reader, and every
//! reader still sees every write that finished before it asked.
//!
//! Only the reading pages are kept (board, list, experiment, program, review, learnings), only
//! a 200 with a script nonce, and every response served from here gets a fresh nonce in both
//! its policy header and its body: a nonce is never sent twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use app::domain::account::{Credential, Identity, Role};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::SqlitePool;

/// A page larger than this is served but not kept.
const MAX_PAGE_BYTES: usize = 4 << 20;
/// All kept pages together; past it, stale pages go first, then everything.
const MAX_TOTAL_BYTES: usize = 96 << 20;
/// Distinct (user, path) pairs kept; past it, as for bytes.
const MAX_PAGES: usize = 4_096;

/// When a kept page's render began, or what a request needs a render to have seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    generation: u64,
    instance: String,
    day: chrono::NaiveDate,
    /// The counters the page follows ([`Follows::counters`]), each of which never moves back
    /// past a change: a change always takes them higher than any value seen before it.
    counters: [i64; 2],
}

impl Stamp {
    /// Whether a render begun at `self` shows everything a request stamped `need` may ask for:
    /// the same database and day, and no write counted by `need` that `self` does not count.
    fn covers(&self, need: &Stamp) -> bool {
        self.instance == need.instance
            && self.day == need.day
            && self.generation >= need.generation
            && self
                .counters
                .iter()
                .zip(need.counters)
                .all(|(had, needed)| *had >= needed)
    }
}

/// What a kept page's content follows in the database, besides this process's writes (the
/// generation), the day and the user. Each page follows the narrowest counters its loaders
/// read: a reading recorded on one running experiment then leaves the board, the dashboard and
/// every other experiment's page as they were, instead of re-rendering all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follows {
    /// Experiments and their readings, any of them: `program_version`.
    Program,
    /// Experiment rows alone (the board reads no reading).
    ExperimentRows,
    /// Experiment rows (its page lists others running on its surface), and how many times
    /// this experiment's row or readings changed (`experiment_change`).
    Experiment(String),
    /// The dashboard's entries ([`app::db::program_entries::Content`]): the dashboard and its
    /// lists show nothing else from the database.
    Entries,
}

impl Follows {
    fn of(path: &str) -> Follows {
        let route = crate::auth::policy::route_path(path);
        match route.as_str() {
            "/" => Follows::ExperimentRows,
            "/program" | "/program/list" => Follows::Entries,
            r if is_kept_page(r) && r.starts_with("/experiments/") => {
                // The key as the router reads it: decoded, not lowercased like the route.
                let raw = path
                    .trim_end_matches('/')
                    .trim_start_matches("/experiments/");
                let key = crate::auth::policy::percent_decode(raw)
                    .ok()
                    .and_then(|k| String::from_utf8(k).ok());
                key.map_or(Follows::Program, Follows::Experiment)
            }
            _ => Follows::Program,
        }
    }

    async fn counters(&self, pool: &SqlitePool) -> Option<(String, [i64; 2])> {
        use app::db::program_entries::{entries_at, versions};
        let key = match self {
            Follows::Experiment(key) => Some(key.as_str()),
            _ => None,
        };
        let v = versions(pool, key).await.ok()?;
        let counters = match self {
            Follows::Program => [v.version, 0],
            Follows::ExperimentRows => [v.rows, 0],
            Follows::Experiment(_) => [v.rows, v.experiment],
            Follows::Entries => {
                // The entries as of the version just read, or newer.
                let (_, content) = entries_at(pool, &v.instance, v.version).await.ok()?;
                [content.number(), 0]
            }
        };
        Some((v.instance, counters))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The signed-in user, or the token a script reads pages with.
    who: (Credential, i64),
    role: Role,
    target: String,
}

/// A rendered page cut at its nonce: `body` is `parts` joined by a fresh nonce each time.
struct Page {
    headers: HeaderMap,
    policy: Vec<String>,
    parts: Vec<Bytes>,
    bytes: usize,
}

/// One page's place in the cache: the last render kept, and the lock a render holds.
#[derive(Default)]
struct Slot {
    kept: Mutex<Option<(Stamp, Arc<Page>)>>,
    rendering: tokio::sync::Mutex<()>,
}

impl Slot {
    /// The kept page, if it was rendered late enough for `need`.
    fn serves(&self, need: &Stamp) -> Option<Arc<Page>> {
        let kept = self.kept.lock().ok()?;
        kept.as_ref()
            .filter(|(stamp, _)| stamp.covers(need))
            .map(|(_, page)| page.clone())
    }

    fn bytes(&self) -> usize {
        self.kept
            .lock()
            .ok()
            .and_then(|k| k.as_ref().map(|(_, p)| p.bytes))
            .unwrap_or(0)
    }
}

#[derive(Clone)]
pub struct PageCache {
    pool: SqlitePool,
    generation: Arc<AtomicU64>,
    slots: Arc<Mutex<HashMap<Key, Arc<Slot>>>>,
}

impl PageCache {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            generation: Arc::new(AtomicU64::new(0)),
            slots: Default::default(),
        }
    }

    async fn stamp(&self, follows: &Follows) -> Option<Stamp> {
        // Read the generation before the database: a write finishing in between then moves
        // one of the two on, and the page is labelled older than what it may show, never newer.
        let generation = self.generation.load(Ordering::Acquire);
        let (instance, counters) = follows.counters(&self.pool).await?;
        Some(Stamp {
            generation,
            instance,
            counters,
            day: chrono::Utc::now().date_naive(),
        })
    }

    /// The slot for `key`, made on first use. Past the limits, slots no render fits any more
    /// (another day or database) go first, then everything.
    fn slot(&self, key: Key, stamp: &Stamp) -> Arc<Slot> {
        let Ok(mut slots) = self.slots.lock() else {
            return Arc::default();
        };
        if let Some(slot) = slots.get(&key) {
            return slot.clone();
        }
        if slots.len() >= MAX_PAGES || kept_bytes(&slots) > MAX_TOTAL_BYTES {
            slots.retain(|_, s| {
                s.kept.lock().is_ok_and(|k| {
                    k.as_ref().is_some_and(|(kept, _)| {
                        kept.instance == stamp.instance && kept.day == stamp.day
                    })
                })
            });
            if slots.len() >= MAX_PAGES || kept_bytes(&slots) > MAX_TOTAL_BYTES {
                slots.clear();
            }
        }
        let slot = Arc::new(Slot::default());
        slots.insert(key, slot.clone());
        slot
    }

    fn note_write(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

fn kept_bytes(slots: &HashMap<Key, Arc<Slot>>) -> usize {
    slots.values().map(|s| s.bytes()).sum()
}

/// The pages kept: reading pages whose content follows the stamp. Settings, admin, account and
/// sign-in pages are never kept.
pub fn is_kept_page(path: &str) -> bool {
    let route = crate::auth::policy::route_path(path);
    match route.as_str() {
        "/" | "/experiments" | "/program" | "/program/list" | "/review" | "/learnings" => true,
        "/experiments/new" => false,
        r => r
            .strip_prefix("/experiments/")
            .is_some_and(|key| !key.is_empty() && !key.contains('/')),
    }
}

/// Requests that cannot change what a page shows, though not GETs: server functions that only
/// read (named so), the stateless statistics API, and signing in or out.
fn only_reads(method: &Method, path: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let route = crate::auth::policy::route_path(path);
    match route.strip_prefix("/api/") {
        Some(name) if !name.contains('/') => {
            name == "whoami"
                || name == "pull_status"
                || name == "calendar_feed_url"
                || name == "search_learnings"
                || name == "similar_experiments"
                || name.starts_with("get_")
                || name.starts_with("list_")
        }
        _ => {
            route.starts_with("/api/v1/stats/") || route == "/auth/login" || route == "/auth/logout"
        }
    }
}

/// Requests whose only write is a reading (a snapshot, and its audit line, which no kept page
/// shows): the database's change log counts those, so each page sees them through the counters
/// it follows ([`Follows`]) and the generation need not move. Recording by hand (the results
/// form's server function) and over REST (`POST /api/v1/experiments/{key}/results`).
fn counted_by_database(method: &Method, path: &str) -> bool {
    if *method != Method::POST {
        return false;
    }
    let route = crate::auth::policy::route_path(path);
    route == "/api/record_results"
        || route
            .strip_prefix("/api/v1/experiments/")
            .and_then(|rest| rest.strip_suffix("/results"))
            .is_some_and(|key| !key.is_empty() && !key.contains('/'))
}

/// The middleware: inside authentication (it reads the caller), outside the routes.
pub async fn serve(State(cache): State<PageCache>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if method != Method::GET {
        let response = next.run(req).await;
        if !only_reads(&method, &path) && !counted_by_database(&method, &path) {
            cache.note_write();
        }
        return response;
    }
    let who = req.extensions().get::<Identity>().and_then(|w| {
        let id = match w.credential {
            Credential::Session => w.user_id,
            _ => w.token_id,
        };
        id.map(|id| ((w.credential, id), w.role))
    });
    let Some((who, role)) = who else {
        return next.run(req).await;
    };
    if !is_kept_page(&path) {
        return next.run(req).await;
    }
    let follows = Follows::of(&path);
    let Some(stamp) = cache.stamp(&follows).await else {
        return next.run(req).await;
    };
    let target = req
        .uri()
        .path_and_query()
        .map_or(path.clone(), |p| p.as_str().to_owned());
    let slot = cache.slot(Key { who, role, target }, &stamp);
    if let Some(page) = slot.serves(&stamp) {
        return serve_kept(page);
    }
    // One render of this page at a time. Whoever gets the lock next checks again: the render
    // that just finished serves it if it began after this request's stamp.
    let _rendering = slot.rendering.lock().await;
    if let Some(page) = slot.serves(&stamp) {
        return serve_kept(page);
    }
    // The render is labelled with the stamp read as it begins (never older than this
    // request's), so it also serves everyone who queued behind it. A render that cannot be
    // kept (not a 200, no nonce, too large) goes back to its own request only.
    let began = cache.stamp(&follows).await.unwrap_or(stamp);
    match keep(next.run(req).await).await {
        Ok(page) => {
            let page = Arc::new(page);
            if let Ok(mut kept) = slot.kept.lock() {
                *kept = Some((began, page.clone()));
            }
            serve_kept(page)
        }
        Err(response) => response,
    }
}

/// Cuts a fresh render at its nonce, or gives the response back when it cannot be kept.
async fn keep(response: Response) -> Result<Page, Response> {
    let nonce = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(policy_nonce)
        .map(str::to_owned);
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let (Some(nonce), true, StatusCode::OK) = (nonce, html, response.status()) else {
        return Err(response);
    };
    // An async-rendered page is already whole in memory, so reading it all costs nothing new;
    // one too large to keep is still sent, just not kept.
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) if body.len() <= MAX_PAGE_BYTES => body,
        Ok(body) => return Err(Response::from_parts(parts, Body::from(body))),
        Err(e) => {
            let failed = format!("the page could not be rendered: {e}\n");
            return Err((StatusCode::INTERNAL_SERVER_ERROR, failed).into_response());
        }
    };
    let mut headers = parts.headers;
    let policy = headers
        .remove(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| {
            v.to_str()
                .ok()
                .map(|p| p.split(&nonce).map(str::to_owned).collect())
        })
        .unwrap_or_default();
    headers.remove(header::CONTENT_LENGTH);
    let parts = split_at(&body, &nonce);
    Ok(Page {
        headers,
        policy,
        bytes: body.len(),
        parts,
    })
}

fn serve_kept(page: Arc<Page>) -> Response {
    let nonce = app::secret::random_hex::<16>();
    let mut body = Vec::with_capacity(page.bytes + 8 * nonce.len());
    for (i, part) in page.parts.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(nonce.as_bytes());
        }
        body.extend_from_slice(part);
    }
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = page.headers.clone();
    if let Ok(policy) = HeaderValue::from_str(&page.policy.join(nonce.as_str())) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The nonce in a `script-src 'nonce-…'` policy.
fn policy_nonce(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    Some(&policy[start..start + len]).filter(|n| n.len() >= 16)
}

/// `text` cut at every occurrence of `needle`.
fn split_at(text: &[u8], needle: &str) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut rest = 0;
    for at in memchr::memmem::find_iter(text, needle.as_bytes()) {
        parts.push(Bytes::copy_from_slice(&text[rest..at]));
        rest = at + needle.len();
    }
    parts.push(Bytes::copy_from_slice(&text[rest..]));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reading_pages_are_kept() {
        for kept in [
            "/",
            "/experiments",
            "/experiments/checkout-cta",
            "/program",
            "/review",
        ] {
            assert!(is_kept_page(kept), "{kept}");
        }
        for not in [
            "/experiments/new",
            "/settings",
            "/admin/users",
            "/account",
            "/login",
            "/experiments/x/import",
            "/experiments.csv",
        ] {
            assert!(!is_kept_page(not), "{not}");
        }
    }

    #[test]
    fn writes_move_the_generation_and_named_reads_do_not() {
        assert!(only_reads(&Method::POST, "/api/get_board"));
        assert!(only_reads(&Method::POST, "/api/whoami"));
        assert!(only_reads(&Method::POST, "/api/calendar_feed_url"));
        assert!(!only_reads(&Method::POST, "/api/save_brief"));
        assert!(!only_reads(&Method::POST, "/api/transition_experiment"));
        assert!(!only_reads(&Method::POST, "/experiments/x/import"));
        assert!(!only_reads(&Method::PATCH, "/api/v1/experiments/x"));
        assert!(!only_reads(&Method::POST, "/api/get_board/../save_brief"));
        // A reading moves the database's counters instead; nothing else posted there does.
        assert!(counted_by_database(
            &Method::POST,
            "/api/v1/experiments/x/results"
        ));
        assert!(counted_by_database(&Method::POST, "/api/record_results"));
        assert!(!counted_by_database(
            &Method::PATCH,
            "/api/v1/experiments/x/results"
        ));
        assert!(!counted_by_database(
            &Method::POST,
            "/api/v1/experiments/x/transition"
        ));
        assert!(!counted_by_database(
            &Method::POST,
            "/api/v1/experiments/x/results/../transition"
        ));
    }

    #[test]
    fn each_kept_page_follows_what_it_shows() {
        assert_eq!(Follows::of("/"), Follows::ExperimentRows);
        assert_eq!(Follows::of("/program"), Follows::Entries);
        assert_eq!(Follows::of("/program/list"), Follows::Entries);
        assert_eq!(
            Follows::of("/experiments/checkout_cta"),
            Follows::Experiment("checkout_cta".into())
        );
        assert_eq!(
            Follows::of("/experiments/checkout%5Fcta/"),
            Follows::Experiment("checkout_cta".into())
        );
        for path in ["/experiments", "/review", "/learnings"] {
            assert_eq!(Follows::of(path), Follows::Program, "{path}");
        }
    }

    #[test]
    fn a_page_is_cut_at_its_nonce_and_rejoined_with_another() {
        let nonce = "abcdefghijklmnopqrstuv";
        let policy = format!("script-src 'self' 'nonce-{nonce}'");
        assert_eq!(policy_nonce(&policy), Some(nonce));
        let body =
            format!("<script nonce=\"{nonce}\">a</script><script nonce=\"{nonce}\">b</script>");
        let parts = split_at(body.as_bytes(), nonce);
        assert_eq!(parts.len(), 3);
        let joined: Vec<u8> = parts.join(&b"NEW"[..]);
        assert_eq!(
            String::from_utf8(joined).unwrap(),
            "<script nonce=\"NEW\">a</script><script nonce=\"NEW\">b</script>"
        );
    }
}

#[cfg(test)]
mod render_tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use axum::routing::{get, post};
    use axum::Router;
    use tower::ServiceExt;

    /// A page that counts its renders and shows how many writes it saw, behind the cache,
    /// signed in as user 7.
    fn counted(pool: SqlitePool, renders: Arc<AtomicUsize>) -> Router {
        counted_with_writes(pool, renders, Default::default())
    }

    fn counted_with_writes(
        pool: SqlitePool,
        renders: Arc<AtomicUsize>,
        writes: Arc<AtomicUsize>,
    ) -> Router {
        let seen = writes.clone();
        let page = move || {
            let renders = renders.clone();
            let seen = seen.clone();
            async move {
                let n = renders.fetch_add(1, Ordering::SeqCst);
                let seen = seen.load(Ordering::SeqCst);
                let nonce = app::secret::random_hex::<16>();
                // Slow enough that concurrent readers overlap the render.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                        (
                            header::CONTENT_SECURITY_POLICY,
                            format!("script-src 'nonce-{nonce}'"),
                        ),
                    ],
                    format!(
                        "<p>render {n}</p><p>seen {seen}</p><script nonce=\"{nonce}\"></script>"
                    ),
                )
            }
        };
        let who = Identity {
            user_id: Some(7),
            token_id: None,
            name: "Ana".into(),
            email: "ana@example.test".into(),
            role: Role::Editor,
            credential: Credential::Session,
        };
        Router::new()
            .route("/", get(page))
            .route(
                "/api/{name}",
                post(move || async move {
                    writes.fetch_add(1, Ordering::SeqCst);
                    "ok"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                PageCache::new(pool),
                serve,
            ))
            .layer(axum::middleware::map_request(move |mut req: Request| {
                let who = who.clone();
                async move {
                    req.extensions_mut().insert(who);
                    req
                }
            }))
    }

    async fn send(app: &Router, method: Method, path: &str) -> String {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[sqlx::test(migrator = "app::db::MIGRATOR")]
    async fn readers_share_one_render_until_something_writes(pool: SqlitePool) {
        let renders = Arc::new(AtomicUsize::new(0));
        let app = counted(pool, renders.clone());
        assert!(send(&app, Method::GET, "/").await.contains("render 0"));
        assert!(send(&app, Method::GET, "/").await.contains("render 0"));
        assert_eq!(renders.load(Ordering::SeqCst), 1, "the second read is kept");

        // A server function that only reads leaves the page kept; one that writes does not.
        send(&app, Method::POST, "/api/get_board").await;
        assert!(send(&app, Method::GET, "/").await.contains("render 0"));
        send(&app, Method::POST, "/api/save_brief").await;

        // Twenty people open the page at once after the write: one render serves them all.
        let reads = (0..20).map(|_| send(&app, Method::GET, "/"));
        let pages = futures_util::future::join_all(reads).await;
        assert!(pages.iter().all(|p| p.contains("render 1")), "{pages:?}");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    /// The weekly review under load: people keep recording while others read. Every reader
    /// sees every write that finished before it asked, and the page renders far fewer times
    /// than it is read (one render at a time serves everyone queued behind it).
    #[sqlx::test(migrator = "app::db::MIGRATOR")]
    async fn under_steady_writes_renders_coalesce_and_no_reader_misses_a_write(pool: SqlitePool) {
        let renders = Arc::new(AtomicUsize::new(0));
        let writes = Arc::new(AtomicUsize::new(0));
        let app = counted_with_writes(pool, renders.clone(), writes.clone());
        let people = (0..16).map(|person| {
            let app = app.clone();
            let writes = writes.clone();
            async move {
                for round in 0..6 {
                    if (person + round) % 4 == 0 {
                        send(&app, Method::POST, "/api/save_brief").await;
                    }
                    let finished = writes.load(Ordering::SeqCst);
                    let page = send(&app, Method::GET, "/").await;
                    let seen: usize = page
                        .split("seen ")
                        .nth(1)
                        .and_then(|rest| rest.split('<').next())
                        .and_then(|n| n.parse().ok())
                        .expect("the page says what it saw");
                    assert!(
                        seen >= finished,
                        "a page that saw {seen} writes served after {finished} had finished"
                    );
                }
            }
        });
        futures_util::future::join_all(people).await;
        let renders = renders.load(Ordering::SeqCst);
        assert!(writes.load(Ordering::SeqCst) >= 20);
        assert!(renders < 16 * 6 / 2, "{renders} renders for 96 reads");
    }
}
