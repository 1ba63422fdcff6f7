/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A cellular modem in front of the simulated applet: AT commands on a
 * pseudo-terminal (AT+CSIM, AT+CCHO/AT+CGLA/AT+CCHC), as a modem's AT port
 * passes APDUs to its SIM. Used by iotsafe-sim --modem PATH.
 */
#ifndef IOTSAFE_SIM_MODEM_H
#define IOTSAFE_SIM_MODEM_H

#include "applet.h"

typedef struct sim_modem_opts {
    int echo;     /* start with command echo on (as after ATE1) */
    int unquoted; /* answer +CSIM/+CGLA with the hex not in quotes */
    int noise;    /* an unsolicited line and the previous answer again before each answer */
    int verbose;  /* one stderr line per AT command and per APDU */
} sim_modem_opts;

/*
 * Create a pseudo-terminal, make link_path a symlink to its slave side and
 * serve AT commands on it until sfd (a signalfd) is readable. Returns 0 after
 * the signal, 1 when the terminal or the link cannot be set up (message on
 * stderr). Removes the link on the way out.
 */
int sim_modem_run(sim_applet *a, const char *link_path, const sim_modem_opts *o, int sfd);

#endif
