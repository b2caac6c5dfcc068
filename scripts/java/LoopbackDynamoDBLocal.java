// DynamoDB Local bound to 127.0.0.1 only.
//
// DynamoDBLocal.jar has no host option: its Jetty server listens on every interface. This launcher
// builds the same server from the same command-line flags (-inMemory -port N ...), points each Jetty
// connector at the loopback address before starting it, and serves until stopped.
// Run as: java -cp "DynamoDBLocal.jar:DynamoDBLocal_lib/*" LoopbackDynamoDBLocal.java -inMemory -port N
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server jetty = (Server) field.get(proxy);
        for (Connector c : jetty.getConnectors()) ((ServerConnector) c).setHost("127.0.0.1");
        proxy.start();
        proxy.join();
    }
}
