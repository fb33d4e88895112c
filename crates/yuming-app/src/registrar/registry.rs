//! The registry port and the built-in local registry.
//!
//! A registrar talks to registries through [`RegistryConnector`]; each TLD of the catalogue
//! names its connector. The built-in [`LocalRegistry`] makes the platform itself
//! authoritative: the `domains` table is the registry database, so its operations persist
//! the registrar's computed row inside the caller's transaction. An EPP connector
//! (RFC 5730–5734) fits the same trait: it sends the command, maps the registry's answer to
//! [`RegistryError`], and then persists the same row as the local mirror, so callers do not
//! change.

use yuming_core::rules::domain_name::DomainName;
use yuming_store::{DomainRow, HeldName, StoreError, Tx};

use crate::AppError;
use crate::platform::BoxFuture;
use crate::registrar::RegistrarError;

/// What a registry says about a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCheck {
    /// The A-label name asked about.
    pub name: String,
    /// The live object holding the name itself, if any.
    pub held_by_name: Option<HeldName>,
    /// The live object holding a simplified/traditional variant of it, if any.
    pub held_by_variant: Option<HeldName>,
}

/// A registry refusal, mapped to API errors by the use cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// EPP 2302: the name is registered.
    Registered,
    /// A variant of the name is registered (bundle rule).
    VariantRegistered,
    /// EPP 2303: no such object.
    NotFound,
    /// EPP 2101: the connector does not implement this command.
    Unsupported(&'static str),
    /// EPP 2400/2500 or a network failure: retry later.
    Unavailable(String),
}

impl From<RegistryError> for AppError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Registered => AppError::from(RegistrarError::Registered),
            RegistryError::VariantRegistered => AppError::from(RegistrarError::VariantRegistered),
            RegistryError::NotFound => AppError::not_found(),
            RegistryError::Unsupported(what) => {
                RegistrarError::UnsupportedOperation { what }.into()
            }
            RegistryError::Unavailable(detail) => {
                AppError::from(RegistrarError::RegistryUnavailable).with_detail(detail)
            }
        }
    }
}

/// Maps a uniqueness violation of a write of `row` to the registry's answer. A name without
/// Chinese variants is its own variant key, so either index names the same conflict.
fn from_store(error: StoreError, row: &DomainRow) -> Result<RegistryError, AppError> {
    if error.is_conflict_on("variant") && row.variant_key != row.name {
        Ok(RegistryError::VariantRegistered)
    } else if error.is_conflict_on("name") || error.is_conflict_on("variant") {
        Ok(RegistryError::Registered)
    } else {
        Err(error.into())
    }
}

/// The registry operations a registrar needs (RFC 5731 check/create/renew/transfer/update/
/// delete/info). Every method receives the registrar's transaction so that an authoritative
/// local registry commits or rolls back together with the charge.
pub trait RegistryConnector: Send + Sync {
    /// The connector's name in the catalogue.
    fn name(&self) -> &'static str;

    /// Availability of names (EPP `<check>`).
    fn check<'a>(
        &'a self,
        tx: &'a mut Tx,
        names: &'a [DomainName],
    ) -> BoxFuture<'a, Result<Vec<RegistryCheck>, RegistryError>>;

    /// Creates the domain described by `row` (EPP `<create>`).
    fn create<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;

    /// Renews to `row.expires_at` (EPP `<renew>`).
    fn renew<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;

    /// Requests an inbound transfer (EPP `<transfer op="request">`).
    fn transfer<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;

    /// Changes statuses, nameservers, registrant or auth code (EPP `<update>`).
    fn update<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;

    /// Deletes (EPP `<delete>`; the row carries `deleted_at`).
    fn delete<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;

    /// The registry's record of a name (EPP `<info>`).
    fn info<'a>(
        &'a self,
        tx: &'a mut Tx,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<DomainRow>, RegistryError>>;
}

/// The platform as its own registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalRegistry;

impl RegistryConnector for LocalRegistry {
    fn name(&self) -> &'static str {
        "local"
    }

    fn check<'a>(
        &'a self,
        tx: &'a mut Tx,
        names: &'a [DomainName],
    ) -> BoxFuture<'a, Result<Vec<RegistryCheck>, RegistryError>> {
        Box::pin(async move {
            let ascii: Vec<String> = names.iter().map(|n| n.ascii().to_owned()).collect();
            let keys: Vec<String> = names.iter().map(DomainName::variant_key).collect();
            let held = tx
                .held_names(&ascii, &keys)
                .await
                .map_err(|e| RegistryError::Unavailable(e.to_string()))?;
            Ok(ascii
                .into_iter()
                .zip(keys)
                .map(|(name, key)| RegistryCheck {
                    held_by_name: held.iter().find(|h| h.name == name).cloned(),
                    held_by_variant: held
                        .iter()
                        .find(|h| h.variant_key == key && h.name != name)
                        .cloned(),
                    name,
                })
                .collect())
        })
    }

    fn create<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        Box::pin(async move {
            // A name with Chinese variants is looked up first so that the answer says whether
            // the name or a variant holds it; for any other name the unique indexes answer
            // exactly (and still decide races between concurrent creates).
            if row.variant_key != row.name {
                let held = tx
                    .held_names(
                        std::slice::from_ref(&row.name),
                        std::slice::from_ref(&row.variant_key),
                    )
                    .await
                    .map_err(|e| RegistryError::Unavailable(e.to_string()))?;
                if held.iter().any(|h| h.name == row.name) {
                    return Err(RegistryError::Registered);
                }
                if !held.is_empty() {
                    return Err(RegistryError::VariantRegistered);
                }
            }
            match tx.insert_domain(row).await {
                Ok(()) => Ok(()),
                Err(e) => Err(from_store(e, row)
                    .unwrap_or_else(|e| RegistryError::Unavailable(e.to_string()))),
            }
        })
    }

    fn renew<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        self.update(tx, row)
    }

    fn transfer<'a>(
        &'a self,
        _tx: &'a mut Tx,
        _row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        // Every name of the local registry is sponsored by this platform, so there is no
        // other registrar to transfer from; changes of holder between accounts are a
        // registrar flow, not a registry command.
        Box::pin(async { Err(RegistryError::Unsupported("inter-registrar transfer")) })
    }

    fn update<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        Box::pin(async move {
            tx.update_domain(row).await.map_err(|e| match e {
                StoreError::NotFound => RegistryError::NotFound,
                other => from_store(other, row)
                    .unwrap_or_else(|e| RegistryError::Unavailable(e.to_string())),
            })
        })
    }

    fn delete<'a>(
        &'a self,
        tx: &'a mut Tx,
        row: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        self.update(tx, row)
    }

    fn info<'a>(
        &'a self,
        tx: &'a mut Tx,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<DomainRow>, RegistryError>> {
        Box::pin(async move {
            tx.domain_by_name(name)
                .await
                .map_err(|e| RegistryError::Unavailable(e.to_string()))
        })
    }
}
