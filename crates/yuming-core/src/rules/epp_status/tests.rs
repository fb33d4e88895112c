use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render};

fn check(names: &[&str], expect: &str) {
    let result = parse_status_set(names);
    assert_well_formed(&result);
    let shown = render(&result, |set| {
        set.as_slice()
            .iter()
            .map(|status| status.as_epp())
            .collect::<Vec<_>>()
            .join(",")
    });
    assert_eq!(shown, expect, "statuses: {names:?}");
}

fn blocked(names: &[&str]) -> String {
    match parse_status_set(names) {
        Ok(valid) => valid
            .value
            .prohibited_operations()
            .iter()
            .map(|operation| operation.as_str())
            .collect::<Vec<_>>()
            .join(","),
        Err(rejection) => format!("invalid {:?}", rejection.codes()),
    }
}

#[test]
fn spec_valid_sets() {
    check(&["ok"], "ok ok");
    check(
        &["clientTransferProhibited", "serverHold"],
        "ok clientTransferProhibited,serverHold",
    );
    check(&["inactive", "clientHold"], "ok clientHold,inactive");
}

#[test]
fn spec_invalid_sets() {
    check(&["ok", "clientHold"], "err OK_NOT_ALONE");
    check(
        &["pendingDelete", "clientDeleteProhibited"],
        "err PENDING_CONFLICTS_PROHIBITION",
    );
    check(&["pendingTransfer", "pendingRenew"], "err MULTIPLE_PENDING");
}

#[test]
fn combination_rules() {
    check(&[], "err EMPTY_STATUS_SET");
    check(&["ok", "inactive"], "err OK_NOT_ALONE");
    check(&["ok", "ok"], "ok ok warn DUPLICATE_STATUS");
    for operation in ["Delete", "Renew", "Transfer", "Update"] {
        for side in ["client", "server"] {
            let pending = format!("pending{operation}");
            let prohibited = format!("{side}{operation}Prohibited");
            check(
                &[pending.as_str(), prohibited.as_str()],
                "err PENDING_CONFLICTS_PROHIBITION",
            );
        }
    }
    // A pending status with an unrelated prohibition is fine.
    check(
        &["pendingTransfer", "clientDeleteProhibited"],
        "ok clientDeleteProhibited,pendingTransfer",
    );
    check(
        &["pendingCreate", "serverHold"],
        "ok pendingCreate,serverHold",
    );
    // Every problem is reported, not just the first.
    check(
        &[
            "ok",
            "pendingDelete",
            "pendingUpdate",
            "serverDeleteProhibited",
            "clientUpdateProhibited",
        ],
        "err OK_NOT_ALONE,PENDING_CONFLICTS_PROHIBITION,PENDING_CONFLICTS_PROHIBITION,MULTIPLE_PENDING",
    );
    check(&["ok", "hold"], "err UNKNOWN_STATUS");
    check(&["OK"], "err UNKNOWN_STATUS");
    check(&[" clientHold "], "ok clientHold");
    // Any two pendings conflict.
    let pendings: Vec<EppStatus> = EppStatus::ALL
        .into_iter()
        .filter(|status| status.is_pending())
        .collect();
    assert_eq!(pendings.len(), 5);
    for first in &pendings {
        for second in &pendings {
            let result = validate_status_set(&[*first, *second]);
            assert_eq!(result.is_ok(), first == second, "{first} + {second}");
        }
    }
}

#[test]
fn every_prohibition_combines_freely() {
    // Without ok and pending*, anything goes (RFC 5731: "other status
    // combinations not expressly prohibited MAY be used").
    let free: Vec<EppStatus> = EppStatus::ALL
        .into_iter()
        .filter(|status| !status.is_pending() && *status != EppStatus::Ok)
        .collect();
    let result = validate_status_set(&free);
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn blocked_operations() {
    assert_eq!(blocked(&["ok"]), "");
    assert_eq!(blocked(&["clientHold"]), "");
    assert_eq!(blocked(&["clientDeleteProhibited"]), "delete");
    assert_eq!(blocked(&["serverRenewProhibited"]), "renew");
    assert_eq!(
        blocked(&["clientTransferProhibited", "serverUpdateProhibited"]),
        "transfer,update"
    );
    assert_eq!(blocked(&["pendingTransfer"]), "delete,transfer");
    assert_eq!(blocked(&["pendingDelete"]), "delete,renew,transfer,update");
    assert_eq!(blocked(&["pendingCreate"]), "delete,renew,transfer,update");
    assert_eq!(blocked(&["pendingRenew"]), "");
    assert_eq!(
        blocked(&[
            "serverDeleteProhibited",
            "serverRenewProhibited",
            "serverTransferProhibited",
            "serverUpdateProhibited"
        ]),
        "delete,renew,transfer,update"
    );

    let set = parse_status_set(&[
        "clientDeleteProhibited",
        "serverDeleteProhibited",
        "clientHold",
    ])
    .map(|valid| valid.value);
    assert_eq!(
        set.as_ref().map(|set| set.blocking(Operation::Delete)),
        Ok(vec![
            EppStatus::ClientDeleteProhibited,
            EppStatus::ServerDeleteProhibited
        ])
    );
    assert_eq!(set.as_ref().map(|set| set.resolves()), Ok(false));
    assert_eq!(set.map(|set| set.contains(EppStatus::ClientHold)), Ok(true));
}

#[test]
fn resolution() {
    for (names, resolves) in [
        (vec!["ok"], true),
        (vec!["clientTransferProhibited"], true),
        (vec!["serverHold"], false),
        (vec!["clientHold"], false),
        (vec!["inactive"], false),
    ] {
        let set = parse_status_set(&names).map(|valid| valid.value.resolves());
        assert_eq!(set, Ok(resolves), "{names:?}");
    }
}

#[test]
fn names_and_labels() {
    assert_eq!(EppStatus::ALL.len(), 17);
    for status in EppStatus::ALL {
        assert_eq!(EppStatus::from_epp(status.as_epp()), Some(status));
        assert_eq!(status.as_epp().parse::<EppStatus>(), Ok(status));
        assert_eq!(status.to_string(), status.as_epp());
        assert!(!status.label_zh().is_empty());
        let kinds = [status.is_client(), status.is_server(), status.is_pending()];
        assert!(kinds.iter().filter(|kind| **kind).count() <= 1, "{status}");
    }
    assert_eq!(EppStatus::Ok.label_zh(), "正常");
    assert_eq!(EppStatus::ServerHold.label_zh(), "注册局暂停解析");
    assert_eq!(EppStatus::ClientHold.label_zh(), "注册商暂停解析");
    assert_eq!(EppStatus::PendingTransfer.label_zh(), "转移中");
    assert_eq!(EppStatus::PendingDelete.label_zh(), "删除期");
    assert_eq!(
        EppStatus::ServerTransferProhibited.label_zh(),
        "注册局禁止转移"
    );
    assert_eq!(
        EppStatus::ClientUpdateProhibited.label_zh(),
        "注册商禁止更新"
    );
    assert_eq!("clienthold".parse::<EppStatus>(), Err(UnknownStatus));
    for operation in Operation::ALL {
        assert!(!operation.label_zh().is_empty());
        assert_eq!(operation.to_string(), operation.as_str());
    }
}

#[test]
fn garbage_never_panics() {
    let inputs = garbage();
    for input in &inputs {
        assert_well_formed(&parse_status_set(&[input.as_str()]));
        assert_well_formed(&parse_status_set(&[input.as_str(), "ok"]));
        let _ = input.parse::<EppStatus>();
    }
    assert_well_formed(&parse_status_set(&inputs));
    // Every pair and the full set of statuses.
    for first in EppStatus::ALL {
        for second in EppStatus::ALL {
            assert_well_formed(&validate_status_set(&[first, second]));
        }
    }
    assert_well_formed(&validate_status_set(&EppStatus::ALL));
    assert_well_formed(&validate_status_set(&[EppStatus::Ok; 1000]));
}
