//! The demo API that `corsgate serve` runs when there is no upstream: a tiny users service, so a
//! newcomer can watch CORS work end to end from a frontend on localhost:3000 or :5173.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone, Debug, Serialize)]
struct User {
    id: u64,
    name: String,
    email: String,
}

#[derive(Debug)]
struct Store {
    next_id: u64,
    users: Vec<User>,
}

#[derive(Clone, Debug)]
pub struct Users(Arc<Mutex<Store>>);

impl Users {
    /// Seeded with Alice and Bob, as in the FastAPI CORS guide.
    pub fn seeded() -> Self {
        let users = vec![
            User {
                id: 1,
                name: "Alice".into(),
                email: "alice@example.com".into(),
            },
            User {
                id: 2,
                name: "Bob".into(),
                email: "bob@example.com".into(),
            },
        ];
        Users(Arc::new(Mutex::new(Store { next_id: 3, users })))
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A handler that panicked mid-update cannot leave a half-written user (every update is
        // one push or remove), so a poisoned lock is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub fn router(users: Users) -> Router {
    Router::new()
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}", get(get_user).delete(delete_user))
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(users)
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn list_users(State(users): State<Users>) -> Json<Vec<User>> {
    Json(users.lock().users.clone())
}

fn unprocessable(field: &str, error: impl Into<String>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": error.into(), "field": field})),
    )
        .into_response()
}

/// Accepts any content type: a `text/plain` POST is a CORS simple request (no preflight), which
/// is worth being able to demonstrate.
async fn create_user(State(users): State<Users>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return unprocessable("body", format!("malformed JSON: {e}")),
    };
    let Some(obj) = value.as_object() else {
        return unprocessable(
            "body",
            "expected a JSON object like {\"name\": \"...\", \"email\": \"...\"}",
        );
    };
    let mut fields = Vec::new();
    for field in ["name", "email"] {
        match obj.get(field) {
            None | Some(Value::Null) => {
                return unprocessable(field, format!("`{field}` is required"))
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                return unprocessable(field, format!("`{field}` must not be empty"))
            }
            Some(Value::String(s)) => fields.push(s.trim().to_string()),
            Some(_) => return unprocessable(field, format!("`{field}` must be a string")),
        }
    }
    let email = fields.pop().unwrap_or_default();
    let name = fields.pop().unwrap_or_default();
    let user = {
        let mut store = users.lock();
        let user = User {
            id: store.next_id,
            name,
            email,
        };
        store.next_id += 1;
        store.users.push(user.clone());
        user
    };
    let mut resp = (StatusCode::CREATED, Json(&user)).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/users/{}", user.id)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

fn user_not_found(id: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("user {id} not found")})),
    )
        .into_response()
}

async fn get_user(State(users): State<Users>, Path(id): Path<String>) -> Response {
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|n| users.lock().users.iter().find(|u| u.id == n).cloned());
    match found {
        Some(user) => Json(user).into_response(),
        None => user_not_found(&id),
    }
}

async fn delete_user(State(users): State<Users>, Path(id): Path<String>) -> Response {
    let removed = id.parse::<u64>().ok().is_some_and(|n| {
        let mut store = users.lock();
        let before = store.users.len();
        store.users.retain(|u| u.id != n);
        store.users.len() != before
    });
    if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        user_not_found(&id)
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}
