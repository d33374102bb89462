//! A real headless Chromium for tests, driven over WebDriver (fantoccini →
//! chromedriver). Each [`Browser`] has its own chromedriver on a free port and
//! a fresh profile directory, so tests can run in parallel and leave nothing
//! behind. Screenshots are full-page PNGs under `target/screenshots/`.
//!
//! Needs Debian's `chromium`, `chromium-driver`, `chromium-l10n` and
//! `fonts-noto-cjk` (without the fonts Korean renders as boxes):
//! `scripts/install-browser` installs them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use axum::http::Method;
use base64::Engine;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A phone (iPhone 12–15 class) and a laptop, width × height in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);

/// How to start the browser.
#[derive(Debug, Clone, Copy)]
pub struct BrowserOptions {
    /// `false` turns page scripts off, to prove a page works without them.
    pub javascript: bool,
    pub size: (u32, u32),
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            javascript: true,
            size: PHONE,
        }
    }
}

/// One headless Chromium session and the chromedriver serving it.
pub struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
    _slot: OwnedSemaphorePermit,
}

/// At most two browsers at once in a test process: the machines have two cores,
/// and more parallel Chromiums only make each one slow enough to time out.
static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(2)));

/// `target/screenshots` of the workspace (shared by every crate's tests).
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .join("target")
        .join("screenshots")
}

/// Whether this machine has the browser; tests call [`Browser::start`], which
/// panics with the fix when it does not.
pub fn installed() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()
}

fn free_port() -> u16 {
    // Bound then released: chromedriver takes it a moment later. A clash is
    // possible but rare, and shows up as a clear start error.
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn fresh_profile() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "promo-chromium-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a browser profile directory");
    dir
}

/// A Chrome DevTools command passed through chromedriver
/// (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// A phone-sized browser with scripts on.
    pub async fn start() -> Browser {
        Self::start_with(BrowserOptions::default()).await
    }

    pub async fn start_with(options: BrowserOptions) -> Browser {
        assert!(
            installed(),
            "{CHROMIUM} or {CHROMEDRIVER} is missing: run scripts/install-browser"
        );
        let slot = SLOTS.clone().acquire_owned().await.expect("browser slots");
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            // Korean date inputs and number formats, as a customer's phone shows them.
            .env("LANG", "ko_KR.UTF-8")
            .env("LANGUAGE", "ko")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}/");
        wait_until_ready(&base).await;

        let profile = fresh_profile();
        let (w, h) = options.size;
        // Without the background-networking flags Chromium keeps calling home,
        // which on a closed network means retries and noise.
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            // With chromium-l10n: Korean UI locale (date inputs) and Accept-Language.
            "--lang=ko".into(),
            "--accept-lang=ko-KR,ko".into(),
            format!("--window-size={w},{h}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.sort();
        let mut prefs = json!({ "intl.accept_languages": "ko-KR,ko" });
        if !options.javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args, "prefs": prefs }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&base)
            .await
            .expect("open a Chromium session");
        let browser = Browser {
            client,
            driver,
            profile,
            _slot: slot,
        };
        browser.resize(options.size).await;
        browser
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Sets the viewport to `size` (CSS pixels), whatever the window frame takes.
    pub async fn resize(&self, size: (u32, u32)) {
        self.client
            .set_window_size(size.0, size.1)
            .await
            .expect("resize the window");
        // Headless windows have no frame today; correct for one if that changes.
        let inner: (u32, u32) = self
            .eval("return [window.innerWidth, window.innerHeight];")
            .await;
        if inner != size {
            let w = size.0 + size.0.saturating_sub(inner.0);
            let h = size.1 + size.1.saturating_sub(inner.1);
            self.client
                .set_window_size(w, h)
                .await
                .expect("resize the window");
        }
    }

    /// Runs `script` (a function body; `return` its value) in the page.
    pub async fn eval<T: DeserializeOwned>(&self, script: &str) -> T {
        let value = self
            .client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"));
        serde_json::from_value(value).unwrap_or_else(|e| panic!("script result: {e}\n{script}"))
    }

    /// The text of the first element matching `css`, or `None`.
    pub async fn text(&self, css: &str) -> Option<String> {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => Some(el.text().await.expect("element text")),
            Err(_) => None,
        }
    }

    /// Renders the page for `media` (`"print"` or `"screen"`), e.g. to look at print CSS.
    pub async fn emulate_media(&self, media: &str) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({ "media": media }),
            })
            .await
            .expect("emulate media");
    }

    /// A full-page PNG of the current page, saved at `path`.
    pub async fn screenshot(&self, path: &Path) {
        let (width, height): (u32, u32) = self
            .eval(
                "return [document.documentElement.clientWidth, \
                 Math.ceil(document.documentElement.getBoundingClientRect().height)];",
            )
            .await;
        let answer = self
            .client
            .issue_cmd(Cdp {
                cmd: "Page.captureScreenshot",
                params: json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height.max(1), "scale": 1 },
                }),
            })
            .await
            .expect("capture a screenshot");
        let data = answer["data"].as_str().expect("screenshot data");
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("screenshot is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the screenshot directory");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }

    /// Opens `url` at phone and desktop width and saves
    /// `target/screenshots/{name}-390.png` and `{name}-1280.png`; returns both
    /// paths. With `ready`, waits (up to 20 s) for that CSS selector before each
    /// screenshot, for pages that render after load. Leaves the browser at desktop width.
    pub async fn screenshot_widths(
        &self,
        url: &str,
        name: &str,
        ready: Option<&str>,
    ) -> Vec<PathBuf> {
        let mut saved = Vec::new();
        for size in [PHONE, DESKTOP] {
            self.resize(size).await;
            self.goto(url).await;
            if let Some(css) = ready {
                self.client
                    .wait()
                    .at_most(Duration::from_secs(20))
                    .for_element(Locator::Css(css))
                    .await
                    .unwrap_or_else(|e| panic!("{url}: {css} never appeared: {e}"));
            }
            let path = screenshot_dir().join(format!("{name}-{}.png", size.0));
            self.screenshot(&path).await;
            saved.push(path);
        }
        saved
    }

    /// Ends the session (Chromium exits), stops chromedriver, removes the profile.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        // Drop removes the profile (and finds no Chromium left to stop).
    }
}

impl Drop for Browser {
    /// A test that panicked never reached [`Browser::close`]: stop what this
    /// browser started, by process id (chromedriver, then the Chromium whose
    /// command line names this browser's own profile), so nothing outlives the test.
    fn drop(&mut self) {
        let _ = self.driver.start_kill();
        let marker = format!("--user-data-dir={}", self.profile.display());
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|s| s.parse::<u32>().ok())
                else {
                    continue;
                };
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let ours = cmdline
                    .split(|&b| b == 0)
                    .any(|arg| arg == marker.as_bytes());
                if ours {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid.to_string()])
                        .status();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn wait_until_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let http = reqwest::Client::new();
    loop {
        let ready = http
            .get(format!("{base}status"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success());
        if let Some(response) = ready {
            let body: Value = response.json().await.unwrap_or_default();
            if body["value"]["ready"] == json!(true) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
