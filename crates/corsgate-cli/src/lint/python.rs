//! Lints a Python file that uses Starlette's or FastAPI's `CORSMiddleware`, parsed with a real
//! Python parser (RustPython's). Finds `app.add_middleware(CORSMiddleware, ...)`,
//! `CORSMiddleware(app, ...)` and `Middleware(CORSMiddleware, ...)`, evaluates their arguments
//! where that can be done statically (literals, module-level names, `os.getenv` defaults,
//! `.split(",")`, pydantic-settings defaults) and reports the FastAPI guide's mistakes.
//!
//! Starlette's semantics are what matter here, not corsgate's: origins are compared as exact
//! strings (a trailing slash or an upper-case letter never matches), `allow_methods` defaults to
//! `("GET",)` and is checked even for POST, `allow_origin_regex` is full-matched.

use super::{Diagnostic, Level, Lines};
use rustpython_parser::ast::{self, Constant, Expr, Keyword, Ranged, Stmt};
use rustpython_parser::Parse;
use std::collections::HashMap;

/// CORSMiddleware's keyword arguments (Starlette 0.47 .. 1.x).
const PARAMS: &[&str] = &[
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "allow_origin_regex",
    "allow_private_network",
    "expose_headers",
    "max_age",
];
/// Request headers Starlette always allows (and browsers never preflight for, mostly).
const SAFELISTED: &[&str] = &[
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];
/// Where frontend dev servers listen: React/Next 3000, Vite 5173, Angular 4200, Vue CLI 8080.
const DEV_PORTS: &str = ":3000 (React, Next.js), :5173 (Vite), :4200 (Angular)";

/// CPython refuses more than 200 nested brackets ("too many nested parentheses").
const MAX_BRACKETS: usize = 200;
/// How deep an expression may nest (brackets plus operator chains such as `1+1+...`) before
/// lint refuses it: the parser, the walk and dropping the tree all recurse per level.
const MAX_DEPTH: usize = 3000;

pub fn lint(src: &str) -> Result<Vec<Diagnostic>, Diagnostic> {
    let lines = Lines::new(src);
    too_deep(src, &lines)?;
    let suite = ast::Suite::parse(src, "<lint>").map_err(|e| {
        lines.diag(
            e.offset.to_usize(),
            Level::Error,
            "python-syntax",
            format!("not valid Python: {}", e.error),
            "fix the syntax error first (python -m py_compile FILE reports it too)",
        )
    })?;
    let mut m = Module::new(src);
    m.stmts(&suite, None);
    let mut out = Vec::new();
    m.check(&lines, &mut out);
    Ok(out)
}

/// Refuses pathologically nested code before parsing it, as CPython does, instead of
/// overflowing the stack: an estimate of the tree's depth from the tokens (open brackets, plus
/// the operators since the last comma at each bracket level).
fn too_deep(src: &str, lines: &Lines<'_>) -> Result<(), Diagnostic> {
    use rustpython_parser::{lexer, Mode, Tok};
    let mut levels: Vec<usize> = vec![0];
    let mut operators = 0usize;
    let mut indent = 0usize;
    for token in lexer::lex(src, Mode::Module) {
        // A lexical error is the parser's to report, with its own message.
        let Ok((tok, range)) = token else {
            return Ok(());
        };
        match tok {
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                levels.push(0);
                if levels.len() > MAX_BRACKETS + 1 {
                    return Err(lines.diag(
                        range.start().to_usize(),
                        Level::Error,
                        "python-syntax",
                        format!("brackets nested more than {MAX_BRACKETS} deep (CPython refuses this too: \"too many nested parentheses\")"),
                        "flatten the expression",
                    ));
                }
            }
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                if levels.len() > 1 {
                    if let Some(n) = levels.pop() {
                        operators -= n;
                    }
                }
            }
            Tok::Comma => {
                if let Some(top) = levels.last_mut() {
                    operators -= *top;
                    *top = 0;
                }
            }
            Tok::Newline | Tok::Semi => {
                levels = vec![0];
                operators = 0;
            }
            Tok::Indent => {
                indent += 1;
                if indent > 100 {
                    return Err(lines.diag(
                        range.start().to_usize(),
                        Level::Error,
                        "python-syntax",
                        "more than 100 levels of indentation (CPython refuses this too: \"too many levels of indentation\")",
                        "move the innermost blocks into functions",
                    ));
                }
            }
            Tok::Dedent => indent = indent.saturating_sub(1),
            Tok::Name { .. }
            | Tok::Int { .. }
            | Tok::Float { .. }
            | Tok::Complex { .. }
            | Tok::String { .. }
            | Tok::Colon
            | Tok::EndOfFile => {}
            _ => {
                if let Some(top) = levels.last_mut() {
                    *top += 1;
                }
                operators += 1;
                if operators + levels.len() > MAX_DEPTH {
                    return Err(lines.diag(
                        range.start().to_usize(),
                        Level::Error,
                        "python-syntax",
                        format!("an expression nested more than {MAX_DEPTH} levels deep (a chain of operators or attribute accesses); too deep to lint, and CPython's compiler gives up on it too"),
                        "split the expression",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn start(e: &impl Ranged) -> usize {
    e.range().start().to_usize()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `app.add_middleware(CORSMiddleware, ...)`
    AddMiddleware,
    /// `app = CORSMiddleware(app, ...)`
    Wrap,
    /// `FastAPI(middleware=[Middleware(CORSMiddleware, ...)])`
    MiddlewareList,
}

struct CorsUse<'a> {
    app: Option<String>,
    offset: usize,
    form: Form,
    keywords: &'a [Keyword],
}

struct Route {
    app: String,
    offset: usize,
    what: String,
    is_options: bool,
}

struct Other {
    app: String,
    offset: usize,
    name: String,
}

struct Module<'a> {
    src: &'a str,
    cors_names: Vec<String>,
    middleware_names: Vec<String>,
    app_classes: Vec<String>,
    assigns: HashMap<String, Vec<&'a Expr>>,
    class_fields: HashMap<(String, String), &'a Expr>,
    instances: HashMap<String, String>,
    /// Functions that return an instance of a class: name → class.
    factories: HashMap<String, String>,
    apps: Vec<(String, usize)>,
    routes: Vec<Route>,
    uses: Vec<CorsUse<'a>>,
    others: Vec<Other>,
    port: Option<u16>,
    includes_routers: bool,
}

/// A statically known value, with the offset it was written at.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(String, usize),
    Bool(bool, usize),
    Int(i64, usize),
    List(Vec<Val>, usize),
    Unknown,
}

/// One possible value of an expression and where it comes from when not written in place.
#[derive(Clone, Debug)]
struct Cand {
    val: Val,
    via: Option<Via>,
}

/// Where a value comes from when it is not written in place: a default that an environment
/// variable overrides.
#[derive(Clone, Debug)]
struct Via {
    text: String,
    var: String,
}

impl Cand {
    fn suffix(&self) -> String {
        self.via
            .as_ref()
            .map(|v| format!(" (in {})", v.text))
            .unwrap_or_default()
    }
}

/// Methods with their offsets, where the list is written, and where it comes from.
type MethodList = (Vec<(String, usize)>, usize, String);

fn dotted(e: &Expr) -> String {
    match e {
        Expr::Name(n) => n.id.to_string(),
        Expr::Attribute(a) => format!("{}.{}", dotted(&a.value), a.attr),
        Expr::Call(c) => format!("{}(...)", dotted(&c.func)),
        _ => String::new(),
    }
}

impl<'a> Module<'a> {
    fn new(src: &'a str) -> Module<'a> {
        Module {
            src,
            cors_names: vec!["CORSMiddleware".into()],
            middleware_names: vec!["Middleware".into()],
            app_classes: vec!["FastAPI".into(), "Starlette".into()],
            assigns: HashMap::new(),
            class_fields: HashMap::new(),
            instances: HashMap::new(),
            factories: HashMap::new(),
            apps: Vec::new(),
            routes: Vec::new(),
            uses: Vec::new(),
            others: Vec::new(),
            port: None,
            includes_routers: false,
        }
    }

    fn is_cors(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => self.cors_names.iter().any(|c| c == n.id.as_str()),
            Expr::Attribute(a) => a.attr.as_str() == "CORSMiddleware",
            _ => false,
        }
    }

    fn is_app_class(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => self.app_classes.iter().any(|c| c == n.id.as_str()),
            Expr::Attribute(a) => matches!(a.attr.as_str(), "FastAPI" | "Starlette"),
            _ => false,
        }
    }

    fn stmts(&mut self, body: &'a [Stmt], class: Option<&str>) {
        for s in body {
            self.stmt(s, class);
        }
    }

    fn bind(&mut self, target: &'a Expr, value: &'a Expr, offset: usize, class: Option<&str>) {
        let Expr::Name(n) = target else {
            return;
        };
        let name = n.id.to_string();
        self.assigns.entry(name.clone()).or_default().push(value);
        if let Some(c) = class {
            self.class_fields
                .insert((c.to_string(), name.clone()), value);
        }
        if let Expr::Call(call) = value {
            if self.is_app_class(&call.func) {
                self.apps.push((name.clone(), offset));
            } else if let Expr::Name(f) = call.func.as_ref() {
                self.instances.insert(name, f.id.to_string());
            }
        }
    }

    fn stmt(&mut self, s: &'a Stmt, class: Option<&str>) {
        match s {
            Stmt::ImportFrom(i) => {
                for alias in &i.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                    match alias.name.as_str() {
                        "CORSMiddleware" => self.cors_names.push(local),
                        "Middleware" => self.middleware_names.push(local),
                        "FastAPI" | "Starlette" => self.app_classes.push(local),
                        _ => {}
                    }
                }
            }
            Stmt::Assign(a) => {
                for t in &a.targets {
                    self.bind(t, &a.value, start(a), class);
                }
                self.expr(&a.value);
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.bind(&a.target, v, start(a), class);
                    self.expr(v);
                }
            }
            Stmt::Expr(e) => self.expr(&e.value),
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.expr(v);
                }
            }
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.decorator(d);
                }
                self.returns_instance(f.name.as_str(), &f.body);
                self.stmts(&f.body, None);
            }
            Stmt::AsyncFunctionDef(f) => {
                for d in &f.decorator_list {
                    self.decorator(d);
                }
                self.returns_instance(f.name.as_str(), &f.body);
                self.stmts(&f.body, None);
            }
            Stmt::ClassDef(c) => self.stmts(&c.body, Some(c.name.as_str())),
            Stmt::If(i) => {
                self.stmts(&i.body, class);
                self.stmts(&i.orelse, class);
            }
            Stmt::Try(t) => {
                self.stmts(&t.body, class);
                for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                    self.stmts(&h.body, class);
                }
                self.stmts(&t.orelse, class);
                self.stmts(&t.finalbody, class);
            }
            Stmt::With(w) => self.stmts(&w.body, class),
            Stmt::AsyncWith(w) => self.stmts(&w.body, class),
            Stmt::For(f) => {
                self.stmts(&f.body, class);
                self.stmts(&f.orelse, class);
            }
            Stmt::While(w) => {
                self.stmts(&w.body, class);
                self.stmts(&w.orelse, class);
            }
            _ => {}
        }
    }

    /// `def get_settings(): return Settings()` (often under `@lru_cache`): calls of it are
    /// instances of that class.
    fn returns_instance(&mut self, function: &str, body: &[Stmt]) {
        for s in body {
            if let Stmt::Return(ast::StmtReturn { value: Some(v), .. }) = s {
                if let Expr::Call(c) = v.as_ref() {
                    if let Expr::Name(class) = c.func.as_ref() {
                        self.factories
                            .insert(function.to_string(), class.id.to_string());
                    }
                }
            }
        }
    }

    fn decorator(&mut self, d: &'a Expr) {
        // The decorator's range starts after '@'; point at the '@'.
        let mut offset = start(d);
        if offset > 0 && self.src.as_bytes().get(offset - 1) == Some(&b'@') {
            offset -= 1;
        }
        let Expr::Call(c) = d else {
            return;
        };
        let Expr::Attribute(a) = c.func.as_ref() else {
            return;
        };
        let app = dotted(&a.value);
        let attr = a.attr.as_str();
        match attr {
            "get" | "post" | "put" | "delete" | "patch" | "head" | "options" | "trace" => {
                self.routes.push(Route {
                    app,
                    offset,
                    what: format!("@{}.{attr}", dotted(&a.value)),
                    is_options: attr == "options",
                })
            }
            "api_route" | "route" => {
                let options = c.keywords.iter().any(|k| {
                    k.arg.as_ref().is_some_and(|n| n.as_str() == "methods")
                        && match &k.value {
                            Expr::List(l) => l.elts.iter().any(|e| {
                                matches!(e, Expr::Constant(ast::ExprConstant { value: Constant::Str(s), .. }) if s.eq_ignore_ascii_case("OPTIONS"))
                            }),
                            _ => false,
                        }
                });
                self.routes.push(Route {
                    app,
                    offset,
                    what: format!("@{}.{attr}(..., methods=[\"OPTIONS\"])", dotted(&a.value)),
                    is_options: options,
                })
            }
            "middleware" => self.others.push(Other {
                app,
                offset,
                name: format!("@{}.middleware(\"http\")", dotted(&a.value)),
            }),
            _ => {}
        }
    }

    fn expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Call(c) => {
                self.call(c);
                self.expr(&c.func);
                for a in &c.args {
                    self.expr(a);
                }
                for k in &c.keywords {
                    self.expr(&k.value);
                }
            }
            Expr::List(l) => l.elts.iter().for_each(|x| self.expr(x)),
            Expr::Tuple(t) => t.elts.iter().for_each(|x| self.expr(x)),
            Expr::Set(s) => s.elts.iter().for_each(|x| self.expr(x)),
            Expr::Attribute(a) => self.expr(&a.value),
            Expr::Await(a) => self.expr(&a.value),
            Expr::Starred(s) => self.expr(&s.value),
            Expr::IfExp(i) => {
                self.expr(&i.body);
                self.expr(&i.orelse);
            }
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Dict(d) => d.values.iter().for_each(|x| self.expr(x)),
            _ => {}
        }
    }

    fn call(&mut self, c: &'a ast::ExprCall) {
        let offset = start(c);
        if let Expr::Attribute(a) = c.func.as_ref() {
            match a.attr.as_str() {
                "add_middleware" => {
                    let app = dotted(&a.value);
                    match c.args.first() {
                        Some(first) if self.is_cors(first) => self.uses.push(CorsUse {
                            app: Some(app),
                            offset,
                            form: Form::AddMiddleware,
                            keywords: &c.keywords,
                        }),
                        Some(first) => self.others.push(Other {
                            app,
                            offset,
                            name: dotted(first),
                        }),
                        None => {}
                    }
                    return;
                }
                "include_router" | "mount" => self.includes_routers = true,
                "run" if dotted(&a.value) == "uvicorn" => {
                    for k in &c.keywords {
                        if k.arg.as_ref().is_some_and(|n| n.as_str() == "port") {
                            if let Expr::Constant(ast::ExprConstant {
                                value: Constant::Int(i),
                                ..
                            }) = &k.value
                            {
                                self.port = i.to_string().parse().ok();
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if self.is_cors(&c.func) {
            self.uses.push(CorsUse {
                app: c.args.first().map(dotted),
                offset,
                form: Form::Wrap,
                keywords: &c.keywords,
            });
        } else if let Expr::Name(n) = c.func.as_ref() {
            if self.middleware_names.iter().any(|m| m == n.id.as_str())
                && c.args.first().is_some_and(|f| self.is_cors(f))
            {
                self.uses.push(CorsUse {
                    app: None,
                    offset,
                    form: Form::MiddlewareList,
                    keywords: &c.keywords,
                });
            }
        }
    }

    // ---- evaluation ---------------------------------------------------------------------

    fn eval(
        &self,
        e: &Expr,
        depth: usize,
        strip: bool,
        notes: &mut Vec<(usize, String)>,
    ) -> Vec<Cand> {
        let plain = |val| vec![Cand { val, via: None }];
        if depth > 8 {
            return plain(Val::Unknown);
        }
        match e {
            Expr::Constant(c) => plain(match &c.value {
                Constant::Str(s) => Val::Str(s.clone(), start(c)),
                Constant::Bool(b) => Val::Bool(*b, start(c)),
                Constant::Int(i) => i
                    .to_string()
                    .parse()
                    .map_or(Val::Unknown, |n| Val::Int(n, start(c))),
                _ => Val::Unknown,
            }),
            Expr::List(ast::ExprList { elts, range, .. })
            | Expr::Tuple(ast::ExprTuple { elts, range, .. })
            | Expr::Set(ast::ExprSet { elts, range }) => {
                let mut items = Vec::new();
                let mut via = None;
                for x in elts {
                    let inner = match x {
                        Expr::Starred(s) => &s.value,
                        other => other,
                    };
                    let first = self.eval(inner, depth + 1, strip, notes).into_iter().next();
                    if let Some(c) = first {
                        via = via.or(c.via);
                        match (x, c.val) {
                            (Expr::Starred(_), Val::List(v, _)) => items.extend(v),
                            (_, v) => items.push(v),
                        }
                    }
                }
                vec![Cand {
                    val: Val::List(items, range.start().to_usize()),
                    via,
                }]
            }
            Expr::Name(n) => match self.assigns.get(n.id.as_str()) {
                Some(values) => values
                    .iter()
                    .flat_map(|v| self.eval(v, depth + 1, strip, notes))
                    .collect(),
                None => plain(Val::Unknown),
            },
            Expr::Call(c) => self.eval_call(c, depth, strip, notes),
            Expr::ListComp(lc) => {
                let Some(generator) = lc.generators.first() else {
                    return plain(Val::Unknown);
                };
                let Expr::Name(target) = &generator.target else {
                    return plain(Val::Unknown);
                };
                let is_target = |x: &Expr| matches!(x, Expr::Name(n) if n.id == target.id);
                let strips = match lc.elt.as_ref() {
                    x if is_target(x) => false,
                    Expr::Call(call) => match call.func.as_ref() {
                        Expr::Attribute(a) if is_target(&a.value) && a.attr.as_str() == "strip" => {
                            true
                        }
                        _ => return plain(Val::Unknown),
                    },
                    _ => return plain(Val::Unknown),
                };
                self.eval(&generator.iter, depth + 1, strip || strips, notes)
                    .into_iter()
                    .map(|c| Cand {
                        val: if strips { trimmed(c.val) } else { c.val },
                        via: c.via,
                    })
                    .collect()
            }
            Expr::Attribute(a) => {
                // settings.x, Settings().x, get_settings().x
                let class = match a.value.as_ref() {
                    Expr::Name(base) => self
                        .instances
                        .get(base.id.as_str())
                        .cloned()
                        .unwrap_or_else(|| base.id.to_string()),
                    Expr::Call(c) => match c.func.as_ref() {
                        Expr::Name(f) => self
                            .factories
                            .get(f.id.as_str())
                            .cloned()
                            .unwrap_or_else(|| f.id.to_string()),
                        _ => return plain(Val::Unknown),
                    },
                    _ => return plain(Val::Unknown),
                };
                match self.class_fields.get(&(class.clone(), a.attr.to_string())) {
                    Some(v) => {
                        let via = Via {
                            text: format!(
                                "the default of {class}.{}, which environment variable {} overrides",
                                a.attr,
                                a.attr.to_ascii_uppercase()
                            ),
                            var: a.attr.to_ascii_uppercase(),
                        };
                        self.eval(v, depth + 1, strip, notes)
                            .into_iter()
                            .map(|c| Cand {
                                val: c.val,
                                via: Some(c.via.unwrap_or_else(|| via.clone())),
                            })
                            .collect()
                    }
                    None => plain(Val::Unknown),
                }
            }
            Expr::BinOp(b) if matches!(b.op, ast::Operator::Add) => {
                let l = self.eval(&b.left, depth + 1, strip, notes);
                let r = self.eval(&b.right, depth + 1, strip, notes);
                match (l.into_iter().next(), r.into_iter().next()) {
                    (
                        Some(Cand {
                            val: Val::List(mut a, at),
                            via,
                        }),
                        Some(Cand {
                            val: Val::List(b, _),
                            via: via2,
                        }),
                    ) => {
                        a.extend(b);
                        vec![Cand {
                            val: Val::List(a, at),
                            via: via.or(via2),
                        }]
                    }
                    _ => plain(Val::Unknown),
                }
            }
            Expr::IfExp(i) => {
                let mut v = self.eval(&i.body, depth + 1, strip, notes);
                v.extend(self.eval(&i.orelse, depth + 1, strip, notes));
                v
            }
            _ => plain(Val::Unknown),
        }
    }

    fn eval_call(
        &self,
        c: &ast::ExprCall,
        depth: usize,
        strip: bool,
        notes: &mut Vec<(usize, String)>,
    ) -> Vec<Cand> {
        let plain = |val| vec![Cand { val, via: None }];
        let func = dotted(&c.func);
        let str_arg = |i: usize| match c.args.get(i) {
            Some(Expr::Constant(ast::ExprConstant {
                value: Constant::Str(s),
                ..
            })) => Some(s.clone()),
            _ => None,
        };
        // os.getenv("NAME", default) and friends: the default is what lint can know.
        if matches!(
            func.as_str(),
            "os.getenv" | "getenv" | "os.environ.get" | "environ.get"
        ) {
            let Some(var) = str_arg(0) else {
                return plain(Val::Unknown);
            };
            let default = c.args.get(1).or_else(|| {
                c.keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|n| n.as_str() == "default"))
                    .map(|k| &k.value)
            });
            let via = Via {
                text: format!("the default of environment variable {var}"),
                var: var.clone(),
            };
            return match default {
                Some(d) => self
                    .eval(d, depth + 1, strip, notes)
                    .into_iter()
                    .map(|c| Cand {
                        val: c.val,
                        via: Some(via.clone()),
                    })
                    .collect(),
                None => plain(Val::Unknown),
            };
        }
        if let Expr::Attribute(a) = c.func.as_ref() {
            match a.attr.as_str() {
                "split" => {
                    let sep = str_arg(0);
                    return self
                        .eval(&a.value, depth + 1, strip, notes)
                        .into_iter()
                        .map(|cand| match cand.val {
                            Val::Str(s, at) => {
                                if let (false, Some(via), Some(_)) = (strip, &cand.via, &sep) {
                                    notes.push((start(c), via.var.clone()));
                                }
                                let parts: Vec<String> = match &sep {
                                    Some(sep) if !sep.is_empty() => {
                                        s.split(sep.as_str()).map(String::from).collect()
                                    }
                                    _ => s.split_whitespace().map(String::from).collect(),
                                };
                                Cand {
                                    val: Val::List(
                                        parts
                                            .into_iter()
                                            .map(|p| {
                                                Val::Str(
                                                    if strip { p.trim().to_string() } else { p },
                                                    at,
                                                )
                                            })
                                            .collect(),
                                        at,
                                    ),
                                    via: cand.via,
                                }
                            }
                            _ => Cand {
                                val: Val::Unknown,
                                via: cand.via,
                            },
                        })
                        .collect();
                }
                "strip" => {
                    return self
                        .eval(&a.value, depth + 1, strip, notes)
                        .into_iter()
                        .map(|c| Cand {
                            val: trimmed(c.val),
                            via: c.via,
                        })
                        .collect()
                }
                _ => {}
            }
        }
        match func.as_str() {
            // pydantic: `x: list[str] = Field(default=[...])` or `Field([...])`.
            "Field" | "pydantic.Field" => {
                let default = c.args.first().or_else(|| {
                    c.keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|n| n.as_str() == "default"))
                        .map(|k| &k.value)
                });
                match default {
                    Some(d) => self.eval(d, depth + 1, strip, notes),
                    None => plain(Val::Unknown),
                }
            }
            "json.loads" => {
                let Some(arg) = c.args.first() else {
                    return plain(Val::Unknown);
                };
                self.eval(arg, depth + 1, strip, notes)
                    .into_iter()
                    .map(|cand| Cand {
                        val: match cand.val {
                            Val::Str(s, at) => serde_json::from_str::<Vec<String>>(&s)
                                .map_or(Val::Unknown, |v| {
                                    Val::List(v.into_iter().map(|x| Val::Str(x, at)).collect(), at)
                                }),
                            _ => Val::Unknown,
                        },
                        via: cand.via,
                    })
                    .collect()
            }
            "list" | "tuple" | "set" | "sorted" | "frozenset" => match c.args.first() {
                Some(arg) => self.eval(arg, depth + 1, strip, notes),
                None => plain(Val::List(Vec::new(), start(c))),
            },
            _ => plain(Val::Unknown),
        }
    }

    // ---- rules ------------------------------------------------------------------------------

    fn check(&self, lines: &Lines<'_>, out: &mut Vec<Diagnostic>) {
        if self.uses.is_empty() {
            if let Some((app, offset)) = self.apps.first() {
                if !self.routes.is_empty() || self.includes_routers {
                    out.push(lines.diag(
                        *offset,
                        Level::Warning,
                        "no-cors-middleware",
                        format!("`{app}` serves routes but has no CORSMiddleware: browsers block every cross-origin call to it (\"No 'Access-Control-Allow-Origin' header is present on the requested resource\"); curl and Postman still work, which is why it looks like a browser problem"),
                        format!("from fastapi.middleware.cors import CORSMiddleware\n{app}.add_middleware(\n    CORSMiddleware,\n    allow_origins=[\"http://localhost:3000\"],  # your frontend's origin\n    allow_credentials=True,\n    allow_methods=[\"*\"],\n    allow_headers=[\"*\"],\n)\n(if the frontend is served from the API's own origin, no CORS is needed and this can be ignored)"),
                    ));
                }
            }
        }
        for r in self.routes.iter().filter(|r| r.is_options) {
            let with = if self.uses.is_empty() {
                "there is no CORSMiddleware, so this handler answers the browser's preflights itself, without Access-Control-Allow-* headers: the preflight fails and the real request is never sent"
            } else {
                "CORSMiddleware answers every preflight before it reaches this handler (which then only sees OPTIONS requests that are not preflights); if the middleware is removed, the handler answers preflights without Access-Control-Allow-* headers and they fail"
            };
            out.push(lines.diag(
                r.offset,
                Level::Warning,
                "options-handler",
                format!("{} handles OPTIONS by hand: {with}", r.what),
                "delete the OPTIONS handler and let CORSMiddleware answer preflights (allow_methods=[\"*\"] or the methods the frontend uses)",
            ));
        }
        for (i, u) in self.uses.iter().enumerate() {
            self.check_use(u, lines, out);
            let Some(app) = u.app.as_ref().filter(|_| u.form == Form::AddMiddleware) else {
                continue;
            };
            if self.uses[..i]
                .iter()
                .any(|p| p.app.as_ref() == Some(app) && p.form == Form::AddMiddleware)
            {
                out.push(lines.diag(
                    u.offset,
                    Level::Warning,
                    "duplicate-cors",
                    format!("CORSMiddleware is added to `{app}` a second time: the last one added is outermost and answers every preflight with its own policy; the other only adds headers to actual responses, so the two policies disagree"),
                    "keep one CORSMiddleware with the whole policy",
                ));
            }
            if let Some(r) = self
                .routes
                .iter()
                .find(|r| r.app == *app && r.offset < u.offset)
            {
                let (line, _) = lines.locate(r.offset);
                out.push(lines.diag(
                    u.offset,
                    Level::Note,
                    "middleware-after-routes",
                    format!("CORSMiddleware is added after the routes it covers (first route at line {line}): this works — Starlette builds the middleware stack when the first request arrives, and the middleware wraps every route whenever it was added — but readers expect the policy right after `{app} = FastAPI()`"),
                    format!("move {app}.add_middleware(CORSMiddleware, ...) up, next to `{app} = FastAPI()`"),
                ));
            }
            for o in self
                .others
                .iter()
                .filter(|o| o.app == *app && o.offset > u.offset)
            {
                out.push(lines.diag(
                    o.offset,
                    Level::Warning,
                    "cors-not-outermost",
                    format!("{} is added after CORSMiddleware, so it runs outside it: responses it makes itself (a 401 from an auth check, a 429, an error page) leave without CORS headers, and the browser shows a CORS error instead of the real status", o.name),
                    format!("add CORSMiddleware last, after every other add_middleware and @{app}.middleware, so it wraps them all"),
                ));
            }
        }
    }

    fn keyword(&self, u: &CorsUse<'a>, name: &str) -> Option<&'a Expr> {
        u.keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
            .map(|k| &k.value)
    }

    fn check_use(&self, u: &CorsUse<'a>, lines: &Lines<'_>, out: &mut Vec<Diagnostic>) {
        let has_kwargs = u.keywords.iter().any(|k| k.arg.is_none());
        for k in u.keywords {
            if let Some(name) = &k.arg {
                if !PARAMS.contains(&name.as_str()) {
                    out.push(lines.diag(
                        start(k),
                        Level::Error,
                        "unknown-option",
                        format!(
                            "CORSMiddleware has no parameter `{name}`{}: the app fails to start with TypeError: __init__() got an unexpected keyword argument",
                            crate::config::suggest(name, PARAMS.iter().copied())
                        ),
                        format!("use one of {}", PARAMS.join(", ")),
                    ));
                }
            }
        }
        let mut notes = Vec::new();
        let eval = |name: &str, notes: &mut Vec<(usize, String)>| {
            self.keyword(u, name).map(|e| self.eval(e, 0, false, notes))
        };
        let origins = eval("allow_origins", &mut notes);
        let credentials = eval("allow_credentials", &mut notes);
        let methods = eval("allow_methods", &mut notes);
        let headers = eval("allow_headers", &mut notes);
        let regex = eval("allow_origin_regex", &mut notes);
        let expose = eval("expose_headers", &mut notes);
        for (offset, var) in notes {
            out.push(lines.diag(
                offset,
                Level::Note,
                "split-without-strip",
                format!("{var} is split on \",\" without stripping spaces: {var}=\"https://a.com, https://b.com\" gives \" https://b.com\", which never matches"),
                format!("strip each entry: [o.strip() for o in os.getenv(\"{var}\", \"...\").split(\",\") if o.strip()]"),
            ));
        }

        let creds_true = credentials
            .iter()
            .flatten()
            .any(|c| matches!(c.val, Val::Bool(true, _)));
        let creds_false = match &credentials {
            None => !has_kwargs,
            Some(c) => c.iter().all(|c| matches!(c.val, Val::Bool(false, _))),
        };
        let origin_lists: Vec<(&Vec<Val>, &Cand)> = origins
            .iter()
            .flatten()
            .filter_map(|c| match &c.val {
                Val::List(items, _) => Some((items, c)),
                _ => None,
            })
            .collect();
        // A public, read-only API (`*`, no credentials) is a deliberate choice.
        let public = creds_false
            && origin_lists.iter().any(|(items, _)| {
                items
                    .iter()
                    .any(|v| matches!(v, Val::Str(s, _) if s == "*"))
            });

        let mut seen = Vec::new();
        for (items, cand) in &origin_lists {
            for v in items.iter() {
                let Val::Str(s, at) = v else { continue };
                if seen.contains(&(s.clone(), *at)) {
                    continue;
                }
                seen.push((s.clone(), *at));
                self.check_origin(s, *at, cand, creds_true, lines, out);
            }
        }
        let origins_empty = match &origins {
            None => !has_kwargs,
            Some(c) => {
                !c.is_empty()
                    && c.iter()
                        .all(|c| matches!(&c.val, Val::List(items, _) if items.is_empty()))
            }
        };
        if origins_empty && regex.is_none() {
            out.push(lines.diag(
                u.offset,
                Level::Warning,
                "no-origin-allowed",
                "CORSMiddleware allows no origin (allow_origins is empty, Starlette's default, and there is no allow_origin_regex): every cross-origin request is blocked",
                "allow_origins=[\"http://localhost:3000\"] (your frontend's origin)",
            ));
        }
        for c in regex.iter().flatten() {
            if let Val::Str(r, at) = &c.val {
                let options = corsgate::CorsOptions {
                    allow_origin_regex: Some(r.clone()),
                    ..corsgate::CorsOptions::default()
                };
                // Python's `re` and Rust's `regex` agree on the syntax origin patterns use; a
                // pattern Rust cannot compile (look-around, back-references) is not judged.
                if let Ok(policy) = options.build() {
                    for w in policy.warnings() {
                        out.push(lines.diag(
                            *at,
                            Level::Warning,
                            "origin-regex",
                            format!("allow_origin_regex {r:?}: {}{}", w.message, c.suffix()),
                            "escape literal dots (\\.) and spell the domain out: r\"https://([a-z0-9-]+\\.)*myapp\\.com\" (Starlette full-matches, so no ^ or $ is needed)",
                        ));
                    }
                }
            }
        }

        // Methods: Starlette checks the preflight's method against this list literally.
        let method_lists: Vec<MethodList> = match &methods {
            None if !has_kwargs => vec![(
                vec![("GET".to_string(), u.offset)],
                u.offset,
                " (Starlette's default, as allow_methods is not given)".to_string(),
            )],
            None => Vec::new(),
            Some(cands) => cands
                .iter()
                .filter_map(|c| match &c.val {
                    Val::List(items, at) => Some((
                        items
                            .iter()
                            .filter_map(|v| match v {
                                Val::Str(s, at) => Some((s.clone(), *at)),
                                _ => None,
                            })
                            .collect(),
                        *at,
                        c.suffix(),
                    )),
                    _ => None,
                })
                .collect(),
        };
        for (list, at, suffix) in &method_lists {
            if list.iter().any(|(m, _)| m == "*") {
                continue;
            }
            for (m, mat) in list {
                if m != &m.to_ascii_uppercase() {
                    out.push(lines.diag(
                        *mat,
                        Level::Error,
                        "method-case",
                        format!("allow_methods entry {m:?}: browsers send standard methods in upper case and Starlette compares them literally, so this never matches"),
                        format!("write {:?}", m.to_ascii_uppercase()),
                    ));
                }
            }
            let only_reads = list
                .iter()
                .all(|(m, _)| matches!(m.to_ascii_uppercase().as_str(), "GET" | "HEAD"));
            if only_reads && !public {
                let shown: Vec<&str> = list.iter().map(|(m, _)| m.as_str()).collect();
                out.push(lines.diag(
                    *at,
                    Level::Warning,
                    "restrictive-methods",
                    format!("allow_methods={shown:?}{suffix}: Starlette rejects every preflight for another method with 400 \"Disallowed CORS method\" — POST with a JSON body, PUT, PATCH, DELETE — and the browser reports \"Method POST is not allowed by Access-Control-Allow-Methods in preflight response\""),
                    "allow_methods=[\"*\"], or list what the frontend uses: [\"GET\", \"POST\", \"PUT\", \"DELETE\", \"PATCH\"]",
                ));
            }
        }
        for c in headers.iter().flatten() {
            let Val::List(items, at) = &c.val else {
                continue;
            };
            let names: Vec<&str> = items
                .iter()
                .filter_map(|v| match v {
                    Val::Str(s, _) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            if names.len() != items.len() || names.contains(&"*") || public {
                continue;
            }
            if names
                .iter()
                .all(|n| SAFELISTED.contains(&n.to_ascii_lowercase().as_str()))
            {
                out.push(lines.diag(
                    *at,
                    Level::Warning,
                    "restrictive-headers",
                    format!("allow_headers={names:?}{}: nothing beyond what Starlette always allows (Accept, Accept-Language, Content-Language, Content-Type), so a request with Authorization or any custom header fails its preflight: \"Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response\"", c.suffix()),
                    "allow_headers=[\"*\"], or list them: [\"Content-Type\", \"Authorization\", \"X-Request-ID\"]",
                ));
            }
        }
        if creds_true {
            for c in expose.iter().flatten() {
                if let Val::List(items, _) = &c.val {
                    for v in items {
                        if let Val::Str(s, at) = v {
                            if s == "*" {
                                out.push(lines.diag(
                                    *at,
                                    Level::Warning,
                                    "expose-wildcard-credentials",
                                    "expose_headers=[\"*\"] with allow_credentials=True: for credentialed requests browsers read `*` as a header literally named \"*\", so no header is exposed",
                                    "list the response headers the frontend reads: expose_headers=[\"X-Total-Count\"]",
                                ));
                            }
                        }
                    }
                }
            }
        }
    }

    fn check_origin(
        &self,
        s: &str,
        at: usize,
        cand: &Cand,
        credentials: bool,
        lines: &Lines<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        let via = cand.suffix();
        let mut push = |level, rule, message: String, fix: String| {
            out.push(lines.diag(at, level, rule, message, fix))
        };
        if s == "*" {
            if credentials {
                push(
                    Level::Error,
                    "wildcard-credentials",
                    format!("allow_origins=[\"*\"] with allow_credentials=True{via}: Starlette does not refuse this — current versions answer every origin with that origin and Access-Control-Allow-Credentials: true (older ones sent `*` with credentials, which browsers reject, and reflected the origin whenever a cookie came along), so any website can read your users' data with their cookies"),
                    "list the frontends that may call with credentials: allow_origins=[\"http://localhost:3000\", \"https://myapp.com\"]; or keep \"*\" and set allow_credentials=False for a public API".to_string(),
                );
            }
            return;
        }
        if s == "null" {
            push(
                Level::Warning,
                "origin-null",
                format!("\"null\" is allowed{via}: sandboxed iframes, data: and file: pages and cross-site redirects send Origin: null, so any site can produce it"),
                "remove \"null\"; serve the page that needs access from a real origin".to_string(),
            );
            return;
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            let guess = if s.starts_with("localhost") || s.starts_with("127.") {
                format!("http://{}", s.trim_end_matches('/'))
            } else {
                format!("https://{}", s.trim_end_matches('/'))
            };
            push(
                Level::Error,
                "origin-no-scheme",
                format!("{s:?} is not an origin{via}: browsers send the scheme too (Origin: {guess}), and Starlette compares strings exactly, so this never matches"),
                format!("write {guess:?}"),
            );
            return;
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let clean = format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        );
        if path == "/" {
            push(
                Level::Error,
                "origin-trailing-slash",
                format!("{s:?} ends with '/'{via}: browsers send origins without a path (Origin: {clean}) and Starlette compares strings exactly, so this entry never matches"),
                format!("write {clean:?}"),
            );
            return;
        }
        if !path.is_empty() {
            push(
                Level::Error,
                "origin-path",
                format!("{s:?} has a path{via}: an origin is only scheme://host[:port] (Origin: {clean}), so this entry never matches"),
                format!("write {clean:?}"),
            );
            return;
        }
        if authority.contains('*') {
            push(
                Level::Error,
                "origin-pattern",
                format!("{s:?}{via}: Starlette's allow_origins has no wildcards; the entry is compared literally and never matches"),
                format!("use allow_origin_regex=r\"{}\" for subdomains", pattern_regex(scheme, authority)),
            );
            return;
        }
        if s != clean {
            push(
                Level::Error,
                "origin-case",
                format!("{s:?} has upper-case letters{via}: browsers send {clean} and Starlette compares strings exactly, so this never matches"),
                format!("write {clean:?}"),
            );
            return;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse::<u16>().ok()),
            _ => (authority, None),
        };
        if (scheme == "https" && port == Some(443)) || (scheme == "http" && port == Some(80)) {
            let bare = format!("{scheme}://{host}");
            push(
                Level::Error,
                "origin-default-port",
                format!("{s:?} names the default port{via}: browsers leave it out (Origin: {bare}), so this never matches"),
                format!("write {bare:?}"),
            );
            return;
        }
        // Only web origins: `capacitor://localhost` (a mobile app's WebView) has no port to miss.
        let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]")
            && matches!(scheme, "http" | "https");
        if local && scheme == "https" {
            let http = format!("http://{authority}");
            push(
                Level::Warning,
                "origin-https-localhost",
                format!("{s:?} uses https{via}, but local dev servers serve http: a page on {http} sends Origin: {http}, which does not match (\"protocol mismatch\")"),
                format!("write {http:?} for the dev server; keep https:// for deployed sites"),
            );
            return;
        }
        if local && port.is_none() {
            push(
                Level::Warning,
                "origin-no-port",
                format!("{s:?} has no port{via}, so it means port 80; frontend dev servers run on {DEV_PORTS}, and an origin includes its port"),
                format!("add the dev server's port, e.g. \"{scheme}://{host}:3000\""),
            );
            return;
        }
        let api_port = self.port.unwrap_or(8000);
        if local && port == Some(api_port) {
            let source = if self.port.is_some() {
                "uvicorn.run(..., port=...) in this file"
            } else {
                "uvicorn's and `fastapi dev`'s default"
            };
            push(
                Level::Warning,
                "origin-is-api",
                format!("{s:?} is the API's own origin{via} (port {api_port}: {source}): pages it serves need no CORS, and the frontend that does is on another port, so its requests stay blocked"),
                format!("list the frontend's origin instead, e.g. \"http://{host}:3000\" (React) or \"http://{host}:5173\" (Vite)"),
            );
        }
    }
}

/// `https://*.myapp.com` → `https://([a-z0-9-]+\.)+myapp\.com`.
fn pattern_regex(scheme: &str, authority: &str) -> String {
    let rest = authority.trim_start_matches("*.").replace('.', "\\.");
    format!("{scheme}://([a-z0-9-]+\\.)+{rest}")
}

fn trimmed(v: Val) -> Val {
    match v {
        Val::Str(s, at) => Val::Str(s.trim().to_string(), at),
        Val::List(items, at) => Val::List(items.into_iter().map(trimmed).collect(), at),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(src: &str) -> Vec<(usize, &'static str)> {
        lint(src)
            .unwrap()
            .into_iter()
            .map(|d| (d.line, d.rule))
            .collect()
    }

    #[test]
    fn evaluates_literals_names_env_defaults_and_settings() {
        let src = r#"
import os
from pydantic_settings import BaseSettings
from starlette.middleware.cors import CORSMiddleware as CM
class Settings(BaseSettings):
    allowed_origins: list[str] = ["http://localhost:3000/"]
settings = Settings()
ORIGINS = os.getenv("ALLOWED_ORIGINS", "https://a.com,https://A.com").split(",")
app.add_middleware(CM, allow_origins=ORIGINS, allow_methods=["*"], allow_headers=["*"])
app.add_middleware(CM, allow_origins=settings.allowed_origins, allow_methods=["*"])
"#;
        let got = rules(src);
        assert!(got.contains(&(8, "origin-case")), "{got:?}");
        assert!(got.contains(&(8, "split-without-strip")), "{got:?}");
        assert!(got.contains(&(6, "origin-trailing-slash")), "{got:?}");
        let d = lint(src).unwrap();
        let slash = d
            .iter()
            .find(|d| d.rule == "origin-trailing-slash")
            .unwrap();
        assert!(
            slash.message.contains("Settings.allowed_origins"),
            "{}",
            slash.message
        );
        assert_eq!(slash.column, 35);
    }

    #[test]
    fn settings_through_factories_and_fields() {
        let src = r#"
from functools import lru_cache
from pydantic import Field
from pydantic_settings import BaseSettings
class Settings(BaseSettings):
    cors_origins: list[str] = Field(default=["https://myapp.com/"])
    regex: str = "https://app.myapp\\.com"
@lru_cache
def get_settings():
    return Settings()
app.add_middleware(CORSMiddleware, allow_origins=get_settings().cors_origins, allow_methods=["*"])
app.add_middleware(CORSMiddleware, allow_origin_regex=Settings().regex, allow_methods=["*"])
"#;
        let got = rules(src);
        assert_eq!(
            got,
            [
                (6, "origin-trailing-slash"),
                (7, "origin-regex"),
                (12, "duplicate-cors")
            ],
            "{got:?}"
        );
    }

    #[test]
    fn stripped_env_lists_and_json() {
        let src = r#"
import os, json
o = [x.strip() for x in os.getenv("ALLOWED_ORIGINS", "http://localhost:3000, https://b.com").split(",")]
p = json.loads(os.getenv("P", '["http://localhost:3000/"]'))
app.add_middleware(CORSMiddleware, allow_origins=o + p, allow_methods=["*"])
"#;
        let got = rules(src);
        assert!(
            !got.iter().any(|(_, r)| *r == "split-without-strip"),
            "{got:?}"
        );
        assert!(got.contains(&(4, "origin-trailing-slash")), "{got:?}");
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn wrap_and_middleware_list_forms() {
        let src = r#"
from starlette.middleware import Middleware
app = Starlette(middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"])])
api = CORSMiddleware(api, allow_origin=["https://x.com"], allow_methods=["*"])
"#;
        let got = rules(src);
        assert!(got.contains(&(3, "wildcard-credentials")), "{got:?}");
        assert!(got.contains(&(4, "unknown-option")), "{got:?}");
        assert!(got.contains(&(4, "no-origin-allowed")), "{got:?}");
    }

    #[test]
    fn pathological_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = lint(&deep).unwrap_err();
        assert!(e.message.contains("nested more than 200"), "{}", e.message);
        let chain = format!("x = {}1", "1+".repeat(100_000));
        let e = lint(&chain).unwrap_err();
        assert!(e.message.contains("3000 levels"), "{}", e.message);
        // Long but flat is fine: a list of 20000 negative numbers.
        let flat = format!("x = [{}]", "-1, ".repeat(20_000));
        assert!(lint(&flat).unwrap().is_empty());
        let ok = format!("x = {}1", "1+".repeat(2_000));
        assert!(lint(&ok).unwrap().is_empty());
        let blocks: String = (0..150)
            .map(|i| format!("{}if x:\n", " ".repeat(i)))
            .collect();
        let e = lint(&format!("{blocks}{}pass\n", " ".repeat(150))).unwrap_err();
        assert!(
            e.message.contains("100 levels of indentation"),
            "{}",
            e.message
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = lint("app = FastAPI(\n\nx = [").unwrap_err();
        assert_eq!(e.rule, "python-syntax");
        assert!(e.line >= 1);
    }
}
