#ifndef SWITCHYARD_CRABBITMQ_SHIM_H
#define SWITCHYARD_CRABBITMQ_SHIM_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

/* amqp_login is variadic, and Swift cannot call C variadic functions. This wrapper fixes the
 * SASL method to PLAIN, whose variadic arguments are the user name and the password. */
static inline amqp_rpc_reply_t switchyard_amqp_login_plain(amqp_connection_state_t state,
                                                           char const *vhost, int channel_max,
                                                           int frame_max, int heartbeat,
                                                           char const *user,
                                                           char const *password) {
  return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN,
                    user, password);
}

#endif
