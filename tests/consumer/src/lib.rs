//! What a project built on `nrfcloud` does: claim a device, list the claimed devices as one
//! stream over all pages, and mint the device's JWT.

use futures::TryStreamExt;
use nrfcloud::{
    Client,
    auth::{DeviceJwt, PrivateKey, SecretString},
};

/// What [`tour`] did.
pub struct Tour {
    /// The id of the device the token claimed.
    pub claimed_id: String,
    /// How many claimed devices the team has, counted over every page.
    pub claimed_devices: usize,
    /// A fresh device JWT for the claimed device (a secret: never print it).
    pub device_jwt: SecretString,
}

/// Claims the device of `claim_token`, lists every claimed device, and signs a JWT for the
/// claimed device with its private key (PEM, SEC1 or PKCS#8).
pub async fn tour(
    client: &Client,
    claim_token: &str,
    device_key_pem: &str,
) -> nrfcloud::Result<Tour> {
    let provisioning = client.provisioning();
    let claimed = provisioning
        .claim(claim_token)
        .tags(["consumer"])
        .send()
        .await?;

    let mut claimed_devices = 0;
    let mut devices = provisioning.claimed_devices().list().stream();
    while let Some(_device) = devices.try_next().await? {
        claimed_devices += 1;
    }

    let key = PrivateKey::from_pem(device_key_pem)?;
    let device_jwt = DeviceJwt::new(key, claimed.id.as_str())?.token()?;
    Ok(Tour {
        claimed_id: claimed.id,
        claimed_devices,
        device_jwt,
    })
}
