//! The audit log's Merkle tree: signed heads, receipts a customer can check on their own,
//! and consistency between heads — and each fails after one changed byte.

use yuming_app::AppError;
use yuming_app::platform::audit_tree::{self, Receipt, consistent, receipt_valid};
use yuming_test_support::fixtures::{customer, staff};
use yuming_test_support::{TestDb, both_backends, test_app};

fn flip_hex(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    chars[0] = if chars[0] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

both_backends!(
    receipts_verify_and_fail_after_one_changed_byte,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let bob = customer(&app, "bob@example.com").await;

        let first = audit_tree::sign_head(&app)
            .await
            .expect("sign")
            .expect("a head");
        assert!(audit_tree::head_signature_valid(&first));
        // Signing again with nothing new keeps the same head.
        let again = audit_tree::sign_head(&app)
            .await
            .expect("sign")
            .expect("a head");
        assert_eq!(again, first);

        // Alice's own entry: the receipt holds on its own.
        let mine = yuming_app::platform::audit::list(&app, &alice, None, 10)
            .await
            .expect("list")
            .entries;
        let seq = mine.last().expect("alice has an entry").seq;
        let receipt = audit_tree::receipt(&app, &alice, seq)
            .await
            .expect("receipt");
        assert_eq!(receipt.leaf_index, u64::try_from(seq - 1).unwrap());
        assert_eq!(receipt.head.tree_size, first.tree_size);
        assert_eq!(receipt_valid(&receipt), Ok(()));

        // One changed byte anywhere and it fails.
        let tampered = |change: &dyn Fn(&mut Receipt)| {
            let mut copy = receipt.clone();
            change(&mut copy);
            receipt_valid(&copy)
        };
        assert!(
            tampered(&|r| r.entry.after.push(' ')).is_err(),
            "entry field"
        );
        assert!(
            tampered(&|r| r.entry.hash = flip_hex(&r.entry.hash)).is_err(),
            "entry hash"
        );
        assert!(
            tampered(&|r| r.leaf_hash = flip_hex(&r.leaf_hash)).is_err(),
            "leaf"
        );
        if !receipt.proof.is_empty() {
            assert!(
                tampered(&|r| r.proof[0] = flip_hex(&r.proof[0])).is_err(),
                "path"
            );
        }
        assert!(
            tampered(&|r| r.head.root_hash = flip_hex(&r.head.root_hash)).is_err(),
            "root"
        );
        assert!(tampered(&|r| r.head.signed_at += 1).is_err(), "signed time");
        assert!(tampered(&|r| r.leaf_index += 1).is_err(), "position");

        // Bob cannot have a receipt for Alice's entry; staff can.
        let refused = audit_tree::receipt(&app, &bob, seq)
            .await
            .expect_err("not bob's");
        assert_eq!(refused.code, AppError::not_found().code);
        let admin = staff(
            &app,
            "auditor@example.com",
            yuming_core::access::Role::Admin,
        )
        .await;
        let staff_receipt = audit_tree::receipt(&app, &admin, seq).await.expect("staff");
        // Staff creation added entries: the receipt is against a newer head, still valid.
        assert!(staff_receipt.head.tree_size > first.tree_size);
        assert_eq!(receipt_valid(&staff_receipt), Ok(()));

        // The newer head extends the older one; a changed byte in the proof or a root fails.
        let newer = audit_tree::latest_head(&app)
            .await
            .expect("head")
            .expect("a head");
        let proof = audit_tree::consistency(&app, first.tree_size, newer.tree_size)
            .await
            .expect("proof");
        assert_eq!(consistent(&first, &newer, &proof), Ok(()));
        let mut bad = proof.clone();
        bad[0] = flip_hex(&bad[0]);
        assert!(consistent(&first, &newer, &bad).is_err());
        let mut forged = newer.clone();
        forged.root_hash = flip_hex(&forged.root_hash);
        assert!(consistent(&first, &forged, &proof).is_err());
        // Heads are kept: the older one is still published as it was.
        assert_eq!(
            audit_tree::head(&app, first.tree_size).await.expect("kept"),
            first
        );

        // Sizes outside the signed tree are refused with a clear error.
        let error = audit_tree::consistency(&app, 0, newer.tree_size)
            .await
            .expect_err("size 0");
        assert_eq!(error.code, "INVALID_TREE_SIZES");
        let error = audit_tree::consistency(&app, 1, newer.tree_size + 1)
            .await
            .expect_err("beyond the head");
        assert_eq!(error.code, "INVALID_TREE_SIZES");
    }
);

both_backends!(
    rewriting_history_breaks_consistency_with_an_earlier_head,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        for i in 0..5 {
            customer(&app, &format!("u{i}@example.com")).await;
        }
        let kept = audit_tree::sign_head(&app)
            .await
            .expect("sign")
            .expect("head");
        // An operator rewrites an entry and rebuilds the tree from the altered log.
        t.db.execute_raw("UPDATE audit_log SET hash = '00' || substr(hash, 3) WHERE seq = 2")
            .await
            .expect("tamper");
        t.db.execute_raw("DELETE FROM audit_tree_nodes")
            .await
            .expect("drop tree");
        t.db.execute_raw("DELETE FROM audit_tree_heads")
            .await
            .expect("drop heads");
        customer(&app, "late@example.com").await;
        let rewritten = audit_tree::sign_head(&app)
            .await
            .expect("sign")
            .expect("head");
        let proof = audit_tree::consistency(&app, kept.tree_size, rewritten.tree_size)
            .await
            .expect("a proof of the rewritten tree");
        assert!(
            consistent(&kept, &rewritten, &proof).is_err(),
            "the head a customer kept exposes the rewrite"
        );
    }
);
