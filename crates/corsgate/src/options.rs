//! The user-facing policy options. Names follow Starlette's `CORSMiddleware`, which most users
//! already know. A [`CorsOptions`] is plain data; [`CorsOptions::build`] validates it once into an
//! immutable [`Policy`](crate::Policy).

/// Every option a policy has, as written in configuration.
///
/// `Default` gives the library defaults (nothing allowed but `GET` from no origin);
/// [`CorsOptions::development`] gives `corsgate serve`'s built-in development policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsOptions {
    /// Exact origins, `*`, `https://*.example.com` (one or more subdomain labels) or
    /// `http://localhost:*` (any port).
    pub allow_origins: Vec<String>,
    /// A regex that must match the whole origin (it is anchored for you).
    pub allow_origin_regex: Option<String>,
    /// Methods a preflight may ask for, compared literally; `*` allows any.
    pub allow_methods: Vec<String>,
    /// Request headers a preflight may ask for; `*` allows any (mirrored, so `Authorization`
    /// is always named). Accept, Accept-Language, Content-Language and Content-Type are always
    /// allowed.
    pub allow_headers: Vec<String>,
    /// Sends `Access-Control-Allow-Credentials: true`; cookies and HTTP auth cross origins.
    pub allow_credentials: bool,
    /// Response headers scripts may read; `*` exposes all.
    pub expose_headers: Vec<String>,
    /// How long (seconds) browsers may cache a preflight answer.
    pub max_age: u64,
    /// Answers `Access-Control-Request-Private-Network: true` preflights.
    pub allow_private_network: bool,
    /// Reflects the opaque `null` origin (sandboxed iframes, `file:` pages, tainted redirects).
    pub allow_null_origin: bool,
    /// Status of an allowed preflight (200..=299).
    pub preflight_status: u16,
    /// Status of a rejected preflight (400..=499).
    pub reject_status: u16,
    /// Answers actual requests from disallowed origins with `reject_status` instead of running
    /// the application.
    pub block_disallowed: bool,
    /// Puts the one-line rejection reason in the body of rejected requests.
    pub debug: bool,
}

impl Default for CorsOptions {
    fn default() -> Self {
        CorsOptions {
            allow_origins: Vec::new(),
            allow_origin_regex: None,
            allow_methods: vec!["GET".to_string()],
            allow_headers: Vec::new(),
            allow_credentials: false,
            expose_headers: Vec::new(),
            max_age: 600,
            allow_private_network: false,
            allow_null_origin: false,
            preflight_status: 200,
            reject_status: 403,
            block_disallowed: false,
            debug: false,
        }
    }
}

impl CorsOptions {
    /// The names of every option, as used in configuration files and error messages.
    pub const NAMES: &'static [&'static str] = &[
        "allow_origins",
        "allow_origin_regex",
        "allow_methods",
        "allow_headers",
        "allow_credentials",
        "expose_headers",
        "max_age",
        "allow_private_network",
        "allow_null_origin",
        "preflight_status",
        "reject_status",
        "block_disallowed",
        "debug",
    ];

    /// `corsgate serve`'s built-in development policy: the usual local dev-server origins,
    /// any method, any header, credentials on.
    pub fn development() -> Self {
        CorsOptions {
            allow_origins: [
                "http://localhost:3000",
                "http://localhost:5173",
                "http://127.0.0.1:3000",
                "http://127.0.0.1:5173",
            ]
            .map(String::from)
            .to_vec(),
            allow_methods: vec!["*".to_string()],
            allow_headers: vec!["*".to_string()],
            allow_credentials: true,
            ..CorsOptions::default()
        }
    }
}

/// The deployment profile a policy is built for; production adds warnings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    #[default]
    Development,
    Production,
}
