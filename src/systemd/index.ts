/** systemd's notify protocol (sd_notify): READY, STOPPING, WATCHDOG, STATUS. */
export * from './notify.js';
