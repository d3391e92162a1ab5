//! A key-value store over IndexedDB (one object store of byte arrays), with futures.

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

use crate::protocol::STORE;

/// The `indexedDB` of the page or worker this runs in.
pub fn factory() -> Result<IdbFactory, JsValue> {
    let global = js_sys::global();
    let value = js_sys::Reflect::get(&global, &JsValue::from_str("indexedDB"))?;
    value.dyn_into::<IdbFactory>().map_err(|_| JsValue::from_str("IndexedDB is not available"))
}

/// Resolves when `request` succeeds (with its result) or fails.
async fn wait(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let req = request.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &req.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = Closure::once_into_js(move || {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("IndexedDB request failed"));
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(failed.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

/// Resolves when the transaction has committed.
async fn committed(tx: &IdbTransaction) -> Result<(), JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject2 = reject.clone();
        let failed = Closure::once_into_js(move || {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("IndexedDB transaction failed"));
        });
        let aborted = Closure::once_into_js(move || {
            let _ = reject2.call1(&JsValue::NULL, &JsValue::from_str("IndexedDB transaction aborted"));
        });
        tx.set_oncomplete(Some(done.unchecked_ref()));
        tx.set_onerror(Some(failed.unchecked_ref()));
        tx.set_onabort(Some(aborted.unchecked_ref()));
    });
    JsFuture::from(promise).await.map(|_| ())
}

pub async fn open(name: &str) -> Result<IdbDatabase, JsValue> {
    let request: IdbOpenDbRequest = factory()?.open_with_u32(name, 1)?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let db = e.target().and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok()).and_then(|r| r.result().ok()).and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db {
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = wait(&request).await?;
    drop(upgrade);
    db.dyn_into::<IdbDatabase>()
}

/// Every record: `(key, bytes)`.
pub async fn load_all(db: &IdbDatabase) -> Result<Vec<(String, Vec<u8>)>, JsValue> {
    let tx = db.transaction_with_str(STORE)?;
    let store = tx.object_store(STORE)?;
    let keys: Array = wait(&store.get_all_keys()?).await?.unchecked_into();
    let values: Array = wait(&store.get_all()?).await?.unchecked_into();
    Ok(keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k.as_string()?, v.dyn_into::<Uint8Array>().ok()?.to_vec()))).collect())
}

/// Writes and removes records in one transaction, and waits until it has committed.
pub async fn apply(db: &IdbDatabase, changes: &[(String, Option<Vec<u8>>)]) -> Result<(), JsValue> {
    if changes.is_empty() {
        return Ok(());
    }
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
    let store = tx.object_store(STORE)?;
    for (key, value) in changes {
        match value {
            Some(bytes) => {
                store.put_with_key(&Uint8Array::from(bytes.as_slice()), &JsValue::from_str(key))?;
            }
            None => {
                store.delete(&JsValue::from_str(key))?;
            }
        }
    }
    committed(&tx).await
}

/// Deletes the whole database ("Reset sandbox").
pub async fn delete(name: &str) -> Result<(), JsValue> {
    let request = factory()?.delete_database(name)?;
    wait(&request).await.map(|_| ())
}
