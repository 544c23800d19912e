package balls;

import java.awt.Color;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.Graphics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.event.KeyAdapter;
import java.awt.event.KeyEvent;
import java.util.List;
import javax.swing.JFrame;
import javax.swing.JPanel;
import javax.swing.SwingUtilities;
import javax.swing.Timer;

/** The Java peer's Swing window: its own file, so the peer's protocol reads on its own. */
final class Window {
    private Window() {}

    /** The Swing window: antialiased balls, the status corner, keys. */
    static void run(Balls peer, double seconds) throws Exception {
        long deadline = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
        Object over = new Object();
        JPanel panel = new JPanel() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void paintComponent(Graphics g0) {
                super.paintComponent(g0);
                Graphics2D g = (Graphics2D) g0;
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                int w = Math.max(getWidth(), 1);
                int h = Math.max(getHeight(), 1);
                synchronized (peer) {
                    peer.width = (double) w / h;
                    for (Balls.Ball b : peer.balls) {
                        g.setColor(new Color(b.colour[0], b.colour[1], b.colour[2]));
                        int d = (int) Math.round(2 * b.r * h);
                        g.fillOval((int) Math.round((b.x - b.r) * h), (int) Math.round(h - (b.y + b.r) * h), d, d);
                    }
                }
                g.setColor(new Color(0xd0d4dc));
                g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 12));
                List<String> lines = peer.status();
                for (int i = 0; i < lines.size(); i++) {
                    g.drawString(lines.get(i), 8, 18 + 14 * i);
                }
            }
        };
        panel.setBackground(new Color(16, 18, 24));
        panel.setPreferredSize(new Dimension(800, 600));
        JFrame frame = new JFrame("tether balls (java)");
        Runnable quit = () -> {
            frame.dispose();
            synchronized (over) {
                over.notifyAll();
            }
        };
        frame.addKeyListener(new KeyAdapter() {
            @Override
            public void keyPressed(KeyEvent e) {
                switch (e.getKeyCode()) {
                    case KeyEvent.VK_SPACE -> { synchronized (peer) { peer.addBall(); } }
                    case KeyEvent.VK_C -> { synchronized (peer) { peer.balls.clear(); } }
                    case KeyEvent.VK_Q, KeyEvent.VK_ESCAPE -> quit.run();
                    default -> { }
                }
            }
        });
        SwingUtilities.invokeAndWait(() -> {
            frame.add(panel);
            frame.pack();
            frame.setDefaultCloseOperation(JFrame.DISPOSE_ON_CLOSE);
            frame.setVisible(true);
            new Timer(16, ev -> {
                peer.frame();
                panel.repaint();
                if (System.nanoTime() > deadline || !frame.isDisplayable()) {
                    ((Timer) ev.getSource()).stop();
                    quit.run();
                }
            }).start();
        });
        synchronized (over) {
            while (frame.isDisplayable()) {
                over.wait(100);
            }
        }
    }
}
