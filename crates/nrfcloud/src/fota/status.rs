//! The open sets of values FOTA answers carry: job statuses, execution statuses and firmware
//! types, each holding every value any source has shown, with `Other` for the rest.

use crate::open_enum::open_enum;

open_enum! {
    /// Where a FOTA job is.
    ///
    /// \[CONFLICT\] cloud-api-facts.md §4.3: the REST document lists CREATED, IN_PROGRESS,
    /// CANCELLED, DELETION_IN_PROGRESS and COMPLETED (the default reading, and what the
    /// simulator sends); Nordic's FOTA guide lists the execution values as "job status values",
    /// and hello-nrfcloud's types hold both sets. All are here, and `CANCELED` (the device
    /// simulator's spelling) reads as [`JobStatus::Cancelled`].
    ///
    /// A COMPLETED job does not mean its devices updated: only each execution's own status
    /// says that ([`FotaJobs::wait`](crate::fota::FotaJobs::wait) reports per device).
    pub enum JobStatus {
        /// Created with `autoApply: false`: nothing happens until it is applied.
        Created => "CREATED",
        /// Applied: its devices have executions.
        InProgress => "IN_PROGRESS",
        /// Cancelled.
        Cancelled => "CANCELLED" | "CANCELED",
        /// Being deleted.
        DeletionInProgress => "DELETION_IN_PROGRESS",
        /// Every execution has ended (successfully or not).
        Completed => "COMPLETED",
        /// An execution value seen on job objects: queued.
        Queued => "QUEUED",
        /// An execution value seen on job objects: downloading.
        Downloading => "DOWNLOADING",
        /// An execution value seen on job objects: succeeded.
        Succeeded => "SUCCEEDED",
        /// An execution value seen on job objects: failed.
        Failed => "FAILED",
        /// An execution value seen on job objects: timed out.
        TimedOut => "TIMED_OUT",
        /// An execution value seen on job objects: rejected.
        Rejected => "REJECTED",
    }
}

impl JobStatus {
    /// Whether the job has ended: COMPLETED, CANCELLED and DELETION_IN_PROGRESS (Nordic's
    /// terminal set), and the execution-style end values (SUCCEEDED, FAILED, TIMED_OUT,
    /// REJECTED) that hello-nrfcloud's backend treats as ends. A status this SDK does not
    /// know is not an end: a wait follows it to its deadline.
    ///
    /// ```
    /// use nrfcloud::fota::JobStatus;
    /// assert!(JobStatus::Completed.is_terminal());
    /// assert!(JobStatus::from("CANCELED").is_terminal());
    /// assert!(!JobStatus::Created.is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Cancelled
                | Self::DeletionInProgress
                | Self::Succeeded
                | Self::Failed
                | Self::TimedOut
                | Self::Rejected
        )
    }
}

open_enum! {
    /// Where one device's execution of a FOTA job is: the same eight values in the REST
    /// document, sdk-nrf and Nordic's test client (`CANCELED` reads as
    /// [`ExecutionStatus::Cancelled`]). Devices do not all step through them in one order
    /// (cloud-api-facts.md §4.4), so only the end values mean anything for a rollout.
    pub enum ExecutionStatus {
        /// Waiting for the device.
        Queued => "QUEUED",
        /// The device started (sdk-nrf sends it when the download starts).
        InProgress => "IN_PROGRESS",
        /// The device is downloading.
        Downloading => "DOWNLOADING",
        /// The device updated.
        Succeeded => "SUCCEEDED",
        /// The update failed.
        Failed => "FAILED",
        /// The download did not complete in time.
        TimedOut => "TIMED_OUT",
        /// The device refused the image (invalid, or the wrong type).
        Rejected => "REJECTED",
        /// The job was cancelled for this device.
        Cancelled => "CANCELLED" | "CANCELED",
    }
}

impl ExecutionStatus {
    /// Whether this execution has ended: SUCCEEDED, FAILED, TIMED_OUT, REJECTED or CANCELLED.
    /// A value this SDK does not know counts as not ended.
    ///
    /// ```
    /// use nrfcloud::fota::ExecutionStatus;
    /// assert!(ExecutionStatus::TimedOut.is_terminal());
    /// assert!(!ExecutionStatus::Downloading.is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::TimedOut | Self::Rejected | Self::Cancelled
        )
    }
}

open_enum! {
    /// The kind of image a firmware bundle holds (the REST document's `FirmwareTypes`).
    pub enum FirmwareType {
        /// The application.
        App => "APP",
        /// A modem delta update (Nordic's bundles only).
        Modem => "MODEM",
        /// The MCUboot second-stage bootloader.
        Boot => "BOOT",
        /// A BLE SoftDevice.
        Softdevice => "SOFTDEVICE",
        /// A BLE bootloader.
        Bootloader => "BOOTLOADER",
        /// A full modem image (Nordic's bundles only).
        MdmFull => "MDM_FULL",
        /// An image for an SMP companion chip.
        Smp => "SMP",
        /// A custom image.
        Custom => "CUSTOM",
    }
}
