//! TCP resets sent through raw IP sockets.
//!
//! The resets leave from the network namespace the enforcer runs in and
//! take its routes. A reset addressed to a local endpoint is delivered
//! locally. One addressed to a remote endpoint goes out like any other
//! packet through the OUTPUT chain, so the queue rules send it back to the
//! enforcer (which lets resets through) unless they skip the
//! `--reset-mark` firewall mark.

use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use etherparse::{PacketBuilder, TcpHeader};

use crate::inspect::ResetRequest;

/// Raw IPv4 and IPv6 sockets that send whole IP packets.
pub struct ResetSender {
    v4: OwnedFd,
    v6: Option<OwnedFd>,
}

impl ResetSender {
    /// Opens the sockets, which needs CAP_NET_RAW, and sets the firewall
    /// mark `mark` on what they send when it is not 0 (CAP_NET_ADMIN).
    ///
    /// # Errors
    ///
    /// Fails when the IPv4 socket cannot be opened or marked. A missing
    /// IPv6 stack only disables IPv6 resets.
    pub fn open(mark: u32) -> io::Result<ResetSender> {
        let v4 = raw_socket(libc::AF_INET, mark)?;
        let v6 = match raw_socket(libc::AF_INET6, mark) {
            Ok(socket) => Some(socket),
            Err(err) if err.raw_os_error() == Some(libc::EAFNOSUPPORT) => None,
            Err(err) => return Err(err),
        };
        Ok(ResetSender { v4, v6 })
    }

    /// Sends one reset.
    pub fn send(&self, reset: &ResetRequest) -> io::Result<()> {
        let packet = build_reset(reset)?;
        match reset.dst {
            SocketAddr::V4(dst) => {
                let mut addr: libc::sockaddr_in = unsafe { mem::zeroed() };
                addr.sin_family = libc::AF_INET as libc::sa_family_t;
                addr.sin_addr.s_addr = u32::from_ne_bytes(dst.ip().octets());
                send_to(&self.v4, &packet, &addr)
            }
            SocketAddr::V6(dst) => {
                let Some(v6) = &self.v6 else {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "IPv6 is not available, so no IPv6 reset was sent",
                    ));
                };
                let mut addr: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                addr.sin6_addr.s6_addr = dst.ip().octets();
                send_to(v6, &packet, &addr)
            }
        }
    }
}

/// Builds the IP packet of a reset, with its checksums.
pub fn build_reset(reset: &ResetRequest) -> io::Result<Vec<u8>> {
    let mut header =
        TcpHeader::new(reset.src.port(), reset.dst.port(), reset.seq, 0);
    header.rst = true;
    if let Some(ack) = reset.ack {
        header.ack = true;
        header.acknowledgment_number = ack;
    }
    let mut packet = Vec::with_capacity(64);
    let written = match (reset.src.ip(), reset.dst.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            PacketBuilder::ipv4(src.octets(), dst.octets(), 64)
                .tcp_header(header)
                .write(&mut packet, &[])
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            PacketBuilder::ipv6(src.octets(), dst.octets(), 64)
                .tcp_header(header)
                .write(&mut packet, &[])
        }
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "reset endpoints mix IPv4 and IPv6",
            ))
        }
    };
    written.map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
    Ok(packet)
}

/// Opens a raw socket of `family` for whole IP packets: with IPPROTO_RAW,
/// Linux takes the IP header from the data, for IPv4 and IPv6 alike.
fn raw_socket(family: libc::c_int, mark: u32) -> io::Result<OwnedFd> {
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_RAW,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a descriptor that was just opened and nothing else
    // owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    if mark != 0 {
        let result = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_MARK,
                &mark as *const u32 as *const libc::c_void,
                mem::size_of::<u32>() as libc::socklen_t,
            )
        };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(socket)
}

fn send_to<A>(socket: &OwnedFd, packet: &[u8], addr: &A) -> io::Result<()> {
    let sent = unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            packet.as_ptr() as *const libc::c_void,
            packet.len(),
            0,
            addr as *const A as *const libc::sockaddr,
            mem::size_of::<A>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{decode, Decoded};

    #[test]
    fn reset_packet_decodes() {
        let reset = ResetRequest {
            src: "10.99.0.1:40000".parse().unwrap(),
            dst: "10.99.0.2:8000".parse().unwrap(),
            seq: 1234,
            ack: Some(99),
        };
        let packet = build_reset(&reset).unwrap();
        let Decoded::Tcp(segment) = decode(&packet) else {
            panic!("reset is not TCP");
        };
        assert!(segment.rst);
        assert!(segment.ack_flag);
        assert_eq!(segment.seq, 1234);
        assert_eq!(segment.ack, 99);
        assert_eq!(segment.src, reset.src);
        assert_eq!(segment.dst, reset.dst);
        assert!(segment.payload.is_empty());
    }

    #[test]
    fn reset_packet_ipv6() {
        let reset = ResetRequest {
            src: "[fd99::1]:40000".parse().unwrap(),
            dst: "[fd99::2]:8000".parse().unwrap(),
            seq: 1,
            ack: None,
        };
        let packet = build_reset(&reset).unwrap();
        assert_eq!(packet[0] >> 4, 6);
        let Decoded::Tcp(segment) = decode(&packet) else {
            panic!("reset is not TCP");
        };
        assert!(segment.rst);
        assert!(!segment.ack_flag);
    }

    #[test]
    fn reset_mixed_families_rejected() {
        let reset = ResetRequest {
            src: "10.99.0.1:1".parse().unwrap(),
            dst: "[fd99::2]:2".parse().unwrap(),
            seq: 1,
            ack: None,
        };
        assert!(build_reset(&reset).is_err());
    }
}
