//! `Authorizer::authorize` allocates nothing: counted by a global
//! allocator that tallies the allocations of the current thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use ramcheck::authorizer::Authorizer;
use ramcheck::eval::Decision;
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let r = f();
    (r, ALLOCATIONS.with(Cell::get) - before)
}

#[test]
fn authorize_makes_no_allocation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let authorizer = Authorizer::from_store(&dir).unwrap();
    let account = "1234567890123456";
    let request = |action: &str, resource: &str, principal: Principal, ctx: &[(&str, &str)]| {
        let mut c = Context::new();
        for (k, v) in ctx {
            c.insert(k, v).unwrap();
        }
        Request::new(action, resource, principal, c).unwrap()
    };
    let alice = || Principal::user(account, "alice");
    let bob = || Principal::user(account, "bob");
    let cases = [
        // Allowed, by an exact-name statement.
        (
            request(
                "imm:AttachOSSBucket",
                "acs:imm:cn-hangzhou:1234567890123456:project/immtest",
                alice(),
                &[],
            ),
            Decision::Allow,
        ),
        // Allowed through a condition (IpAddress) and a wildcard action.
        (
            request(
                "imm:UpdateProject",
                "acs:imm:cn-hangzhou:1234567890123456:project/media-news",
                bob(),
                &[("acs:SourceIp", "192.0.2.10")],
            ),
            Decision::Allow,
        ),
        // Implicitly denied: the condition fails.
        (
            request(
                "imm:UpdateProject",
                "acs:imm:cn-hangzhou:1234567890123456:project/media-news",
                bob(),
                &[("acs:SourceIp", "198.51.100.1")],
            ),
            Decision::ImplicitDeny,
        ),
        // Explicitly denied by the control policy and by bob's own policy.
        (
            request(
                "imm:GetProject",
                "acs:imm:ap-southeast-1:1234567890123456:project/x",
                alice(),
                &[],
            ),
            Decision::ExplicitDeny,
        ),
        (
            request(
                "imm:DeleteProject",
                "acs:imm:cn-hangzhou:1234567890123456:project/x",
                bob(),
                &[],
            ),
            Decision::ExplicitDeny,
        ),
        // sts:AssumeRole through the trust policy's Bool condition.
        (
            request(
                "sts:AssumeRole",
                "acs:ram::1234567890123456:role/imm-deployer",
                bob(),
                &[("acs:MFAPresent", "true")],
            ),
            Decision::Allow,
        ),
        // A condition on acs:Service (StringEquals) in a system policy.
        (
            request(
                "ram:PassRole",
                "acs:ram::1234567890123456:role/x",
                Principal::role(account, "imm-deployer"),
                &[("acs:Service", "imm.aliyuncs.com")],
            ),
            Decision::Allow,
        ),
        // An unknown principal.
        (
            request(
                "imm:GetProject",
                "*",
                Principal::user(account, "mallory"),
                &[],
            ),
            Decision::ImplicitDeny,
        ),
    ];
    // The first call may initialise lazily held state; count from the second.
    for (r, _) in &cases {
        let _ = authorizer.authorize(r);
    }
    for (r, expected) in &cases {
        let (decision, allocations) = allocations_during(|| authorizer.authorize(r).decision);
        assert_eq!(decision, *expected, "{} {}", r.action(), r.resource());
        assert_eq!(allocations, 0, "{} {} allocated", r.action(), r.resource());
    }
    // The counter works: an explanation does allocate.
    let (_, allocations) = allocations_during(|| authorizer.authorize(&cases[0].0).explain());
    assert!(allocations > 0);
}
