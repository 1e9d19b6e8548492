//! The cases of research/browser.md §2.7 that `corsgate check`'s flags can express, shared by
//! the `check` tests (against the expected Chromium 156 text) and the Chromium suite (against
//! real Chromium).
#![allow(dead_code)]

/// One row of research/browser.md §2.7 that check's flags can express.
pub struct Case {
    pub name: &'static str,
    pub query: &'static str,
    pub flags: &'static [&'static str],
    /// `None` = allowed; else (DevTools name, detail after "blocked by CORS policy: ").
    pub expect: Option<(&'static str, &'static str)>,
}

pub const PRE: &str = "Response to preflight request doesn't pass access control check: ";

pub fn cases() -> Vec<Case> {
    vec![
        Case { name: "GET, no ACAO", query: "", flags: &[], expect: Some(("MissingAllowOriginHeader", "No 'Access-Control-Allow-Origin' header is present on the requested resource.")) },
        Case { name: "ACAO *, credentials include", query: "a_acao=*", flags: &["--credentials", "include"], expect: Some(("WildcardOriginNotAllowed", "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.")) },
        Case { name: "2x ACAO origin", query: "a_acao=http://127.0.0.1:8001&a_acao=http://127.0.0.1:8001", flags: &[], expect: Some(("MultipleAllowOriginValues", "The 'Access-Control-Allow-Origin' header contains multiple values 'http://127.0.0.1:8001, http://127.0.0.1:8001', but only one is allowed. Have the server send the header with a valid value.")) },
        Case { name: "ACAO '*, origin'", query: "a_acao=*,%20http://127.0.0.1:8001", flags: &[], expect: Some(("MultipleAllowOriginValues", "The 'Access-Control-Allow-Origin' header contains multiple values '*, http://127.0.0.1:8001', but only one is allowed. Have the server send the header with a valid value.")) },
        Case { name: "ACAO 'origin,'", query: "a_acao=http://127.0.0.1:8001,", flags: &[], expect: Some(("MultipleAllowOriginValues", "The 'Access-Control-Allow-Origin' header contains multiple values 'http://127.0.0.1:8001,', but only one is allowed. Have the server send the header with a valid value.")) },
        Case { name: "ACAO null", query: "a_acao=null", flags: &[], expect: Some(("AllowOriginMismatch", "The 'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin. Have the server send the header with a valid value.")) },
        Case { name: "ACAO foo", query: "a_acao=foo", flags: &[], expect: Some(("InvalidAllowOriginValue", "The 'Access-Control-Allow-Origin' header contains the invalid value 'foo'. Have the server send the header with a valid value.")) },
        Case { name: "ACAO empty", query: "a_acao=", flags: &[], expect: Some(("InvalidAllowOriginValue", "The 'Access-Control-Allow-Origin' header contains the invalid value ''. Have the server send the header with a valid value.")) },
        Case { name: "ACAO latin-1", query: "a_acao_hex=687474703a2f2f6578e92e74657374", flags: &[], expect: Some(("InvalidAllowOriginValue", "The 'Access-Control-Allow-Origin' header contains the invalid value 'http://ex\\u00E9.test'. Have the server send the header with a valid value.")) },
        Case { name: "ACAO trailing slash", query: "a_acao=http://127.0.0.1:8001/", flags: &[], expect: Some(("AllowOriginMismatch", "The 'Access-Control-Allow-Origin' header has a value 'http://127.0.0.1:8001/' that is not equal to the supplied origin. Have the server send the header with a valid value.")) },
        Case { name: "ACAO upper case", query: "a_acao=HTTP://127.0.0.1:8001", flags: &[], expect: Some(("AllowOriginMismatch", "The 'Access-Control-Allow-Origin' header has a value 'HTTP://127.0.0.1:8001' that is not equal to the supplied origin. Have the server send the header with a valid value.")) },
        Case { name: "ACAO padded", query: "a_acao=%20%20http://127.0.0.1:8001%20", flags: &[], expect: None },
        Case { name: "credentials, no ACAC", query: "a_acao=http://127.0.0.1:8001", flags: &["--credentials", "include"], expect: Some(("InvalidAllowCredentials", "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.")) },
        Case { name: "credentials, ACAC True", query: "a_acao=http://127.0.0.1:8001&a_acac=True", flags: &["--credentials", "include"], expect: Some(("InvalidAllowCredentials", "The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true' when the request's credentials mode is 'include'.")) },
        Case { name: "credentials, ACAC padded", query: "a_acao=http://127.0.0.1:8001&a_acac=%20true%20", flags: &["--credentials", "include"], expect: None },
        Case { name: "PUT, preflight 200 without ACAO", query: "a_acao=*", flags: &["-X", "PUT"], expect: Some(("PreflightMissingAllowOriginHeader", "No 'Access-Control-Allow-Origin' header is present on the requested resource.")) },
        Case { name: "PUT, preflight 500 without ACAO", query: "p_status=500&a_acao=*", flags: &["-X", "PUT"], expect: Some(("PreflightMissingAllowOriginHeader", "No 'Access-Control-Allow-Origin' header is present on the requested resource.")) },
        Case { name: "PUT, preflight ACAO * with 404", query: "p_status=404&p_acao=*&a_acao=*", flags: &["-X", "PUT"], expect: Some(("PreflightInvalidStatus", "It does not have HTTP ok status.")) },
        Case { name: "PUT, preflight wrong ACAO", query: "p_acao=http://other.test&p_acam=PUT", flags: &["-X", "PUT"], expect: Some(("PreflightAllowOriginMismatch", "The 'Access-Control-Allow-Origin' header has a value 'http://other.test' that is not equal to the supplied origin. Have the server send the header with a valid value.")) },
        Case { name: "PUT, preflight double ACAO", query: "p_acao=http://127.0.0.1:8001&p_acao=http://127.0.0.1:8001&p_acam=PUT", flags: &["-X", "PUT"], expect: Some(("PreflightMultipleAllowOriginValues", "The 'Access-Control-Allow-Origin' header contains multiple values 'http://127.0.0.1:8001, http://127.0.0.1:8001', but only one is allowed. Have the server send the header with a valid value.")) },
        Case { name: "PUT, credentials, preflight ACAO *", query: "p_acao=*&p_acam=PUT", flags: &["-X", "PUT", "--credentials", "include"], expect: Some(("PreflightWildcardOriginNotAllowed", "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.")) },
        Case { name: "PUT, credentials, preflight without ACAC", query: "p_acao=http://127.0.0.1:8001&p_acam=PUT", flags: &["-X", "PUT", "--credentials", "include"], expect: Some(("PreflightInvalidAllowCredentials", "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.")) },
        Case { name: "preflight ACAO *, no ACAM", query: "p_acao=*&a_acao=*", flags: &["-X", "PUT"], expect: Some(("MethodDisallowedByPreflightResponse", "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.")) },
        Case { name: "credentials, ACAM *", query: "p_acao=http://127.0.0.1:8001&p_acac=true&p_acam=*", flags: &["-X", "PUT", "--credentials", "include"], expect: Some(("MethodDisallowedByPreflightResponse", "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.")) },
        Case { name: "patch vs ACAM PATCH", query: "p_acao=*&p_acam=PATCH&a_acao=*", flags: &["-X", "patch"], expect: Some(("MethodDisallowedByPreflightResponse", "Method patch is not allowed by Access-Control-Allow-Methods in preflight response.")) },
        Case { name: "put vs ACAM put", query: "p_acao=*&p_acam=put&a_acao=*", flags: &["-X", "put"], expect: Some(("MethodDisallowedByPreflightResponse", "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.")) },
        Case { name: "ACAM 'GET PUT'", query: "p_acao=*&p_acam=GET%20PUT&a_acao=*", flags: &["-X", "PUT"], expect: Some(("InvalidAllowMethodsPreflightResponse", "Cannot parse Access-Control-Allow-Methods response header field in preflight response.")) },
        Case { name: "ACAH 'x foo'", query: "p_acao=*&p_acah=x%20foo&a_acao=*", flags: &["-H", "X-Foo: 1"], expect: Some(("InvalidAllowHeadersPreflightResponse", "Cannot parse Access-Control-Allow-Headers response header field in preflight response.")) },
        Case { name: "X-Foo, no ACAH", query: "p_acao=*&a_acao=*", flags: &["-H", "X-Foo: 1"], expect: Some(("HeaderDisallowedByPreflightResponse", "Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.")) },
        Case { name: "POST application/json", query: "p_acao=*&a_acao=*", flags: &["-X", "POST", "-H", "Content-Type: application/json"], expect: Some(("HeaderDisallowedByPreflightResponse", "Request header field content-type is not allowed by Access-Control-Allow-Headers in preflight response.")) },
        Case { name: "Range bytes=-5", query: "p_acao=*&a_acao=*", flags: &["-H", "Range: bytes=-5"], expect: Some(("HeaderDisallowedByPreflightResponse", "Request header field range is not allowed by Access-Control-Allow-Headers in preflight response.")) },
        Case { name: "Range bytes=0-", query: "a_acao=*", flags: &["-H", "Range: bytes=0-"], expect: None },
        Case { name: "preflight 302", query: "p_status=302&p_acao=*&p_location=/elsewhere&a_acao=*", flags: &["-X", "PUT"], expect: Some(("PreflightDisallowedRedirect", "Redirect is not allowed for a preflight request.")) },
        Case { name: "method FOO, ACAM *", query: "p_acao=*&p_acam=*&a_acao=*", flags: &["-X", "FOO"], expect: None },
        Case { name: "ACAH X-FOO for x-foo", query: "p_acao=*&p_acah=X-FOO&a_acao=*", flags: &["-H", "X-Foo: 1"], expect: None },
        Case { name: "text/plain;charset=utf-8", query: "a_acao=*", flags: &["-X", "POST", "-H", "Content-Type: text/plain;charset=utf-8"], expect: None },
        Case { name: "204 preflight", query: "p_status=204&p_acao=*&p_acam=PUT&a_acao=*", flags: &["-X", "PUT"], expect: None },
        Case { name: "Authorization + ACAH *", query: "p_acao=*&p_acah=*&a_acao=*", flags: &["-H", "Authorization: Bearer x"], expect: None },
        Case { name: "XHR, no ACAO", query: "", flags: &["--initiator", "xhr"], expect: Some(("MissingAllowOriginHeader", "No 'Access-Control-Allow-Origin' header is present on the requested resource.")) },
        Case { name: "XHR withCredentials, ACAO *", query: "a_acao=*", flags: &["--initiator", "xhr", "--credentials", "include"], expect: Some(("WildcardOriginNotAllowed", "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.")) },
        Case { name: "img crossorigin, no ACAO", query: "", flags: &["--initiator", "image"], expect: Some(("MissingAllowOriginHeader", "No 'Access-Control-Allow-Origin' header is present on the requested resource.")) },
        Case { name: "script crossorigin, no ACAO", query: "", flags: &["--initiator", "script"], expect: Some(("MissingAllowOriginHeader", "No 'Access-Control-Allow-Origin' header is present on the requested resource.")) },
    ]
}

/// The request a case describes, parsed from its `check` flags.
pub struct Request {
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub credentials: String,
    pub initiator: String,
}

pub fn request(flags: &[&str]) -> Request {
    let mut r = Request {
        method: "GET".into(),
        headers: Vec::new(),
        credentials: "same-origin".into(),
        initiator: "fetch".into(),
    };
    let mut i = 0;
    while i + 1 < flags.len() {
        let v = flags[i + 1].to_string();
        match flags[i] {
            "-X" => r.method = v,
            "-H" => {
                let (n, val) = v.split_once(':').expect("header");
                r.headers
                    .push((n.trim().to_string(), val.trim().to_string()));
            }
            "--credentials" => r.credentials = v,
            "--initiator" => r.initiator = v,
            other => panic!("unknown flag {other}"),
        }
        i += 2;
    }
    r
}
