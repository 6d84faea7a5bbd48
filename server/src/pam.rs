//! Authentication through PAM, so users sign in with their cluster account (build feature
//! `pam`, setting `auth.pam.enabled`). A minimal binding to libpam: start a transaction for the
//! configured service, answer its prompts with the user name and password, run
//! `pam_authenticate` and `pam_acct_mgmt` (expired or locked accounts are refused), end.
#![expect(unsafe_code, reason = "calling libpam through its C interface")]

use hpcb_core::auth::ExternalAuthenticator;
use hpcb_core::{CoreError, CoreResult};
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};

const PAM_SUCCESS: c_int = 0;
const PAM_BUF_ERR: c_int = 5;
const PAM_CONV_ERR: c_int = 19;
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_PROMPT_ECHO_ON: c_int = 2;
const PAM_SILENT: c_int = 0x8000;
const PAM_DISALLOW_NULL_AUTHTOK: c_int = 0x0001;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type ConvFn = extern "C" fn(c_int, *mut *const PamMessage, *mut *mut PamResponse, *mut c_void) -> c_int;

#[repr(C)]
struct PamConv {
    conv: ConvFn,
    appdata_ptr: *mut c_void,
}

#[link(name = "pam")]
extern "C" {
    fn pam_start(service: *const c_char, user: *const c_char, conv: *const PamConv, pamh: *mut *mut c_void) -> c_int;
    fn pam_authenticate(pamh: *mut c_void, flags: c_int) -> c_int;
    fn pam_acct_mgmt(pamh: *mut c_void, flags: c_int) -> c_int;
    fn pam_end(pamh: *mut c_void, status: c_int) -> c_int;
}

extern "C" {
    fn calloc(n: usize, size: usize) -> *mut c_void;
    fn strdup(s: *const c_char) -> *mut c_char;
}

/// What the conversation answers with.
struct Credentials {
    user: CString,
    password: CString,
}

/// Answers PAM's prompts: echo-off prompts get the password, echo-on prompts the user name,
/// messages nothing. Responses are allocated with the C allocator because PAM frees them.
extern "C" fn conversation(
    num: c_int,
    msgs: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    data: *mut c_void,
) -> c_int {
    if num <= 0 || msgs.is_null() || resp.is_null() || data.is_null() {
        return PAM_CONV_ERR;
    }
    let n = num as usize;
    // SAFETY: `data` is the `Credentials` passed to `pam_start`, alive for the whole
    // transaction; `msgs` holds `num` message pointers (Linux-PAM's layout); the reply array is
    // allocated here with `num` zeroed entries and handed to PAM, which frees it.
    unsafe {
        let creds = &*(data as *const Credentials);
        let replies = calloc(n, std::mem::size_of::<PamResponse>()) as *mut PamResponse;
        if replies.is_null() {
            return PAM_BUF_ERR;
        }
        for i in 0..n {
            let m = *msgs.add(i);
            if m.is_null() {
                continue;
            }
            let answer = match (*m).msg_style {
                PAM_PROMPT_ECHO_OFF => strdup(creds.password.as_ptr()),
                PAM_PROMPT_ECHO_ON => strdup(creds.user.as_ptr()),
                _ => std::ptr::null_mut(),
            };
            (*replies.add(i)).resp = answer;
            (*replies.add(i)).resp_retcode = 0;
        }
        *resp = replies;
    }
    PAM_SUCCESS
}

/// PAM as an [`ExternalAuthenticator`].
pub struct PamAuthenticator {
    service: String,
}

impl PamAuthenticator {
    /// Uses `/etc/pam.d/<service>`.
    pub fn new(service: &str) -> PamAuthenticator {
        PamAuthenticator {
            service: service.to_owned(),
        }
    }
}

impl ExternalAuthenticator for PamAuthenticator {
    fn source(&self) -> &'static str {
        "pam"
    }

    fn authenticate(&self, username: &str, password: &str) -> CoreResult<bool> {
        let (Ok(service), Ok(user), Ok(pw)) = (
            CString::new(self.service.as_str()),
            CString::new(username),
            CString::new(password),
        ) else {
            // An interior NUL can never be a valid credential.
            return Ok(false);
        };
        let creds = Box::new(Credentials {
            user: user.clone(),
            password: pw,
        });
        let conv = PamConv {
            conv: conversation,
            appdata_ptr: &*creds as *const Credentials as *mut c_void,
        };
        let mut handle: *mut c_void = std::ptr::null_mut();
        // SAFETY: every pointer passed lives until `pam_end` returns; `handle` is only used
        // after a successful `pam_start`.
        unsafe {
            let rc = pam_start(service.as_ptr(), user.as_ptr(), &conv, &mut handle);
            if rc != PAM_SUCCESS || handle.is_null() {
                return Err(CoreError::internal(format!(
                    "pam_start for service {} failed with code {rc}",
                    self.service
                )));
            }
            let mut rc = pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
            if rc == PAM_SUCCESS {
                rc = pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
            }
            pam_end(handle, rc);
            Ok(rc == PAM_SUCCESS)
        }
    }
}
